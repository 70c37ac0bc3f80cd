// Wires allauth's WebAuthn helpers (mfa/js/webauthn.js) to the buttons that ask for them, from
// data attributes: no inline script, so the pages keep script-src 'self'. The WebAuthn options
// come from a json_script block named by data-hl-data.
//   data-hl-webauthn="addForm|authenticateForm|loginForm"  the helper
//   data-hl-credential="<id>"    the hidden input that receives the credential
//   data-hl-passwordless="<id>"  the "use it as a passkey" checkbox (addForm)
document.addEventListener('DOMContentLoaded', function () {
  const forms = window.allauth && window.allauth.webauthn && window.allauth.webauthn.forms
  if (!forms) return
  document.querySelectorAll('[data-hl-webauthn]').forEach(function (button) {
    const kind = button.dataset.hlWebauthn
    const ids = { credential: button.dataset.hlCredential }
    if (kind === 'addForm') {
      ids.add = button.id
      if (button.dataset.hlPasswordless) ids.passwordless = button.dataset.hlPasswordless
    } else if (kind === 'authenticateForm') {
      ids.authenticate = button.id
    } else if (kind === 'loginForm') {
      ids.login = button.id
    } else {
      return
    }
    if (button.dataset.hlData) ids.data = button.dataset.hlData
    forms[kind]({ ids })
  })
})

// Shows a page's own message when the browser refuses or cancels a security key (allauth's
// helpers announce it as an `allauth.error` event instead of logging it).
document.addEventListener('allauth.error', function (event) {
  const box = document.querySelector('[data-hl-webauthn-error]')
  if (box) {
    event.preventDefault()
    box.classList.remove('d-none')
  }
})
