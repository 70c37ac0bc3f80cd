// Dark mode follows the system setting unless the person chose one (kept in localStorage).
(function () {
  var chosen = null;
  try { chosen = localStorage.getItem("hl-theme"); } catch (e) { /* private mode */ }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.setAttribute("data-bs-theme", chosen || (dark ? "dark" : "light"));
})();
// Times on the pages are shown in the viewer's own time zone: tell the server which one it is.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("hl_tz=" + zone) === -1) {
      // IANA names ("Europe/Oslo") are valid cookie values as they are.
      document.cookie = "hl_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* very old browser: the desk's time zone is used */ }
})();
