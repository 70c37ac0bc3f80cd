// Dark mode follows the system setting unless the person chose one (kept in localStorage).
(function () {
  var chosen = null;
  try { chosen = localStorage.getItem("hl-theme"); } catch (e) { /* private mode */ }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.setAttribute("data-bs-theme", chosen || (dark ? "dark" : "light"));
})();
