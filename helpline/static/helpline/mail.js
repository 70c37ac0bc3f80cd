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
    // The document element's own box, not its scroll height: that never falls below the
    // frame's current height, so a frame could grow but never shrink back.
    var height = Math.ceil(doc.documentElement.getBoundingClientRect().height);
    frame.style.height = Math.max(height, 32) + 2 + "px";
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
  // "Load remote images" reloads the frame (its link targets it); the notice then says so.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.hl-mail-remote");
    if (link && link.dataset.hlLoaded) {
      var notice = link.parentElement;
      window.setTimeout(function () { notice.textContent = link.dataset.hlLoaded; }, 0);
    }
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll("iframe.hl-mail-frame").forEach(fit);
  });
})();
