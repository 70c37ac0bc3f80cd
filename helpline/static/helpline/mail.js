// Mail entries on the ticket page: each HTML message is a sandboxed, same-origin frame without
// scripts of its own; the page sizes it to its content, again when a folded quote opens.
(function () {
  "use strict";

  function fit(frame) {
    var doc;
    try {
      doc = frame.contentDocument;
    } catch (error) {
      return;
    }
    if (!doc || !doc.documentElement) {
      return;
    }
    frame.style.height = doc.documentElement.scrollHeight + 2 + "px";
    if (!doc.hlWatched) {
      doc.hlWatched = true;
      doc.addEventListener("toggle", function () { fit(frame); }, true);
      Array.prototype.forEach.call(doc.images, function (image) {
        image.addEventListener("load", function () { fit(frame); });
      });
    }
  }

  // Frames load after htmx swaps too: listen on the document (load does not bubble; capture).
  document.addEventListener("load", function (event) {
    if (event.target && event.target.classList && event.target.classList.contains("hl-mail-frame")) {
      fit(event.target);
    }
  }, true);
  document.querySelectorAll("iframe.hl-mail-frame").forEach(fit);
  window.addEventListener("resize", function () {
    document.querySelectorAll("iframe.hl-mail-frame").forEach(fit);
  });
})();
