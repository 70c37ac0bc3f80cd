// The ticket page's "Insert an article": puts a link to the article, or its text, into the reply
// box at the cursor (htmx records in the background that the article answered the request).
(function () {
  "use strict";
  function insert(target, text) {
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? target.value.length;
    const before = target.value.slice(0, start);
    const gap = before && !before.endsWith("\n") ? "\n" : "";
    target.value = before + gap + text + "\n" + target.value.slice(end);
    target.focus();
    target.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-hl-kb-insert], [data-hl-kb-insert-text]");
    if (!button) return;
    const panel = button.closest("[data-hl-kb-target]");
    const target = panel && document.getElementById(panel.dataset.hlKbTarget);
    if (!target) return;
    if (button.hasAttribute("data-hl-kb-insert-text")) {
      insert(target, button.dataset.hlKbText);
    } else {
      insert(target, button.dataset.hlKbTitle + ": " + button.dataset.hlKbInsert);
    }
  });
})();
