// Shows a page's own message when the browser refuses or cancels a security key (allauth's
// WebAuthn helpers announce it as an `allauth.error` event instead of logging it).
document.addEventListener('allauth.error', function (event) {
  const box = document.querySelector('[data-hl-webauthn-error]')
  if (box) {
    event.preventDefault()
    box.classList.remove('d-none')
  }
})
