// Ticket page (desk/ticket.html): the reply box within reach from anywhere on a long thread.
(function () {
  function writingBox() {
    return document.getElementById("reply-body") || document.getElementById("note-body");
  }

  document.addEventListener("click", function (event) {
    var jump = event.target.closest("[data-hl-jump-reply]");
    if (!jump) return;
    var box = writingBox();
    if (!box) return; // nothing to write in: the link still scrolls to the composer
    event.preventDefault();
    var tab = document.querySelector('[data-hl-tab-for="' + box.id + '"]');
    if (tab) bootstrap.Tab.getOrCreateInstance(tab).show();
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
  });

  // The button steps aside while the composer itself is on screen.
  document.addEventListener("DOMContentLoaded", function () {
    var jump = document.querySelector("[data-hl-jump-reply]");
    if (!jump || !("IntersectionObserver" in window)) return;
    var observer = new IntersectionObserver(function (seen) {
      var visible = seen.some(function (item) { return item.isIntersecting; });
      jump.classList.toggle("hl-out-of-the-way", visible);
    });
    function watch() {
      observer.disconnect();
      var composer = document.querySelector(".hl-composer");
      if (composer) observer.observe(composer);
    }
    watch();
    // The composer is swapped after every change: watch the new one.
    document.body.addEventListener("htmx:afterSettle", watch);
  });
})();

// Merge and link dialogs: the number field has the focus when the dialog opens (its first
// suggestions load then); a suggestion fills the field; arrows move between them.
(function () {
  document.addEventListener("shown.bs.modal", function (event) {
    var field = event.target.querySelector("[data-hl-candidates]");
    if (field) field.focus();
  });

  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-hl-fill]");
    if (!pick || pick.disabled) return;
    var input = document.getElementById(pick.getAttribute("data-hl-fill"));
    if (!input) return;
    input.value = pick.value;
    var submit = input.form && input.form.querySelector("button[type=submit]");
    (submit || input).focus();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var input = event.target.closest("[data-hl-candidates]");
    var box = input ? document.getElementById(input.getAttribute("data-hl-candidates"))
                    : event.target.closest(".hl-candidates-box");
    if (!box) return;
    var options = Array.prototype.slice.call(box.querySelectorAll("[data-hl-fill]:not([disabled])"));
    if (!options.length) return;
    event.preventDefault();
    var at = options.indexOf(document.activeElement);
    if (input) { options[event.key === "ArrowDown" ? 0 : options.length - 1].focus(); return; }
    var next = at + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) {
      var field = document.querySelector('[data-hl-candidates="' + box.id + '"]');
      if (field) field.focus();
      return;
    }
    options[Math.min(next, options.length - 1)].focus();
  });
})();

// Presence (teamwork/_presence.html): every few seconds the page says it is open, and whether a
// reply or note is being written, with the ETag of what it last showed; 304 swaps nothing.
(function () {
  "use strict";

  function writing() {
    var reply = document.getElementById("reply-body");
    if (reply && reply.value.trim()) return "reply";
    var note = document.getElementById("note-body");
    if (note && note.value.trim()) return "note";
    return "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.hasAttribute("data-hl-presence")) return;
    event.detail.parameters.writing = writing();
    var state = event.detail.elt.querySelector("[data-hl-presence-state]");
    var etag = state && state.getAttribute("data-hl-etag");
    if (etag) event.detail.headers["If-None-Match"] = etag;
  });

  // A background tab does not beat: after three missed polls colleagues no longer see it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-hl-presence") && document.hidden) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.elt.hasAttribute("data-hl-presence")) return;
    var xhr = event.detail.xhr;
    var path = xhr.responseURL ? new URL(xhr.responseURL).pathname : "";
    if (xhr.status === 304 || path.indexOf("/presence/") < 0) event.detail.shouldSwap = false;
  });
})();
