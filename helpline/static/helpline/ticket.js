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
// suggestions come with the fields); a suggestion fills the field; arrows move between them.
(function () {
  document.addEventListener("shown.bs.modal", function (event) {
    var field = event.target.querySelector("[data-hl-candidates]");
    if (field) field.focus();
  });
  // A dialog's fields load when it first opens (forms/_lazy.html): focus the number field
  // once they are in, if the dialog is still open and nothing in it has the focus yet.
  document.addEventListener("htmx:afterSettle", function () {
    var modal = document.querySelector(".modal.show");
    if (!modal || (modal.contains(document.activeElement) && document.activeElement !== modal)) return;
    var field = modal.querySelector("[data-hl-candidates]");
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

// Reply templates: Alt+T (or the box above the reply) opens the typeahead; arrows move through
// the suggestions, Enter or a click inserts the text at the cursor in the reply and attaches the
// template, so its macro actions run with the reply when it is sent ("Detach" drops them).
(function () {
  function search() { return document.querySelector("[data-hl-template-search]"); }
  function listbox() { return document.getElementById("reply-template-options"); }
  function options() {
    var box = listbox();
    return box ? Array.prototype.slice.call(box.querySelectorAll("[data-hl-template]")) : [];
  }

  function show(open) {
    var box = listbox(), input = search();
    if (!box || !input) return;
    box.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) input.removeAttribute("aria-activedescendant");
  }

  function mark(index) {
    var list = options();
    list.forEach(function (o, i) {
      o.classList.toggle("active", i === index);
      o.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (list[index]) {
      search().setAttribute("aria-activedescendant", list[index].id);
      list[index].scrollIntoView({ block: "nearest" });
    }
  }

  function insert(option) {
    var body = document.getElementById("reply-body");
    var input = search();
    if (!body || !input) return;
    var text = option.querySelector("template").content.textContent.trim();
    var start = body.selectionStart || 0, end = body.selectionEnd || 0;
    var before = body.value.slice(0, start), after = body.value.slice(end);
    var lead = before && !/\n$/.test(before) ? "\n" : "";
    body.value = before + lead + text + after;
    var caret = (before + lead + text).length;
    var form = body.form;
    var field = form.querySelector("[data-hl-template-field]");
    var chosen = form.querySelector("[data-hl-template-chosen]");
    field.value = option.getAttribute("data-hl-template");
    if (chosen) {
      var macro = option.getAttribute("data-hl-template-macro") === "1";
      chosen.querySelector("[data-hl-template-chosen-text]").textContent =
        option.getAttribute("data-hl-template-name") + (macro ? " — " + chosen.getAttribute("data-hl-macro-note") : "");
      chosen.hidden = false;
    }
    input.value = "";
    show(false);
    body.focus();
    body.setSelectionRange(caret, caret);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    // Only while the agent is in the box: a late answer must not cover the reply just written.
    if (event.target === listbox() && document.activeElement === search()) { show(true); mark(0); }
  });

  document.addEventListener("keydown", function (event) {
    // Alt+T from anywhere on the request: the reply tab, then the template box.
    if (event.altKey && !event.ctrlKey && !event.metaKey && (event.code === "KeyT" || event.key === "t")) {
      var input = search();
      if (!input) return;
      event.preventDefault();
      var tab = document.querySelector('[data-hl-tab-for="reply-body"]');
      if (tab) bootstrap.Tab.getOrCreateInstance(tab).show();
      input.focus();
      if (options().length) show(true);
      return;
    }
    if (!event.target.matches || !event.target.matches("[data-hl-template-search]")) return;
    var list = options();
    var at = list.findIndex(function (o) { return o.classList.contains("active"); });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!list.length) return;
      event.preventDefault();
      show(true);
      mark(Math.max(0, Math.min(list.length - 1, at + (event.key === "ArrowDown" ? 1 : -1))));
    } else if (event.key === "Enter") {
      event.preventDefault();  // never sends the reply from the template box
      if (at >= 0 && !listbox().hidden) insert(list[at]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      show(false);
      var body = document.getElementById("reply-body");
      if (body) body.focus();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-hl-template]");
    if (option) { insert(option); return; }
    var clear = event.target.closest("[data-hl-template-clear]");
    if (clear) {
      var form = clear.closest("form");
      form.querySelector("[data-hl-template-field]").value = "";
      form.querySelector("[data-hl-template-chosen]").hidden = true;
      return;
    }
    if (!event.target.closest("[data-hl-template-picker]")) show(false);
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
