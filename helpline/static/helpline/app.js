// Helpline page behaviour: toasts, theme toggle, confirmations and keyboard shortcuts.
// No inline scripts anywhere (the Content-Security-Policy forbids them): pages declare
// behaviour with data- attributes that this file wires up.
(function () {
  "use strict";

  function showToasts(root) {
    (root || document).querySelectorAll("[data-hl-autoshow]").forEach(function (el) {
      el.removeAttribute("data-hl-autoshow");
      bootstrap.Toast.getOrCreateInstance(el, { delay: 5000 }).show();
    });
  }

  function typing(event) {
    var t = event.target;
    return t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(t.tagName) >= 0;
  }

  // Rows of a list that j/k move through: elements with data-hl-row, opened by their link.
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-hl-row]")); }

  function moveSelection(step) {
    var list = rows();
    if (!list.length) return;
    var current = list.findIndex(function (r) { return r.classList.contains("hl-current"); });
    var next = Math.max(0, Math.min(list.length - 1, current + step));
    if (current >= 0) list[current].classList.remove("hl-current");
    list[next].classList.add("hl-current");
    list[next].scrollIntoView({ block: "nearest" });
    var link = list[next].querySelector("a[data-hl-open]");
    if (link) link.focus({ preventScroll: true });
  }

  function clickShortcut(key) {
    var target = document.querySelector('[data-hl-key="' + key + '"]');
    if (!target) return false;
    if (target.tagName === "TEXTAREA" || target.tagName === "INPUT") {
      var collapse = target.closest(".collapse");
      if (collapse) bootstrap.Collapse.getOrCreateInstance(collapse, { toggle: false }).show();
      var tab = document.querySelector('[data-hl-tab-for="' + target.id + '"]');
      if (tab) bootstrap.Tab.getOrCreateInstance(tab).show();
      target.focus();
    } else {
      target.click();
    }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event)) { event.target.blur(); return; }
    if (typing(event)) return;
    var handled = true;
    switch (event.key) {
      case "j": moveSelection(1); break;
      case "k": moveSelection(-1); break;
      case "Enter": {
        var row = document.querySelector("[data-hl-row].hl-current a[data-hl-open]");
        if (row) row.click(); else handled = false;
        break;
      }
      case "x": {
        var box = document.querySelector("[data-hl-row].hl-current input[type=checkbox]");
        if (box) box.click(); else handled = false;
        break;
      }
      case "?": {
        var help = document.getElementById("shortcuts");
        if (help) bootstrap.Modal.getOrCreateInstance(help).toggle(); else handled = false;
        break;
      }
      default:
        handled = clickShortcut(event.key);
    }
    if (handled) event.preventDefault();
  });

  // Buttons and forms that need a second thought: data-hl-confirm="Question?"
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-hl-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // "Select all" checkbox for bulk actions: data-hl-select-all="name-of-checkboxes"
  document.addEventListener("change", function (event) {
    var name = event.target.getAttribute("data-hl-select-all");
    if (name) {
      document.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    var bar = document.querySelector("[data-hl-bulk-bar]");
    if (bar) {
      var count = document.querySelectorAll("input[data-hl-bulk]:checked").length;
      // The bar's first opening fetches what it offers beyond the page (hl-bulk-open, once).
      if (count > 0 && bar.classList.contains("d-none")) {
        document.body.dispatchEvent(new CustomEvent("hl-bulk-open"));
      }
      bar.classList.toggle("d-none", count === 0);
      var out = bar.querySelector("[data-hl-bulk-count]");
      if (out) out.textContent = count;
    }
  });

  // Auto-submit a form when one of its fields changes: data-hl-autosubmit on the form.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-hl-autosubmit") && !event.target.hasAttribute("data-hl-bulk") &&
        !event.target.hasAttribute("data-hl-no-autosubmit")) {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-hl-theme-toggle]");
    if (!toggle) return;
    var next = document.documentElement.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
    document.documentElement.setAttribute("data-bs-theme", next);
    try { localStorage.setItem("hl-theme", next); } catch (e) { /* private mode */ }
  });

  document.addEventListener("DOMContentLoaded", function () { showToasts(); });
  document.addEventListener("htmx:afterSwap", function (event) { showToasts(event.target); });
})();

// ---- Ticket page (desk/ticket.html) ----
// Forms there post with htmx and get back out-of-band fragments. A refusal (403), a conflict
// (409) or invalid input (422) carries the form with its message, so it is swapped in too.
(function () {
  "use strict";

  // htmx carries old attributes over to swapped elements with the same id, `style` included,
  // through setAttribute, which the Content-Security-Policy (no inline styles) blocks.
  if (window.htmx) htmx.config.attributesToSettle = ["class", "width", "height"];

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function showNewToasts() {
    document.querySelectorAll("#toasts [data-hl-autoshow]").forEach(function (el) {
      el.removeAttribute("data-hl-autoshow");
      bootstrap.Toast.getOrCreateInstance(el, { delay: 5000 }).show();
    });
  }
  document.addEventListener("htmx:oobAfterSwap", showNewToasts);

  // A change made from a dialog succeeded: the server asks for the dialogs to close.
  document.body.addEventListener("hl-close-modals", function () {
    document.querySelectorAll(".modal.show").forEach(function (modal) {
      bootstrap.Modal.getOrCreateInstance(modal).hide();
    });
  });

  // A write answered with only what it changed (desk/views/ticket/page.py written_fragments):
  // the other forms of the ticket page now show the new version and newest entry. A form still
  // carrying an older version than the one the write was made from stays as it is, so it is
  // refused (409) and shows what changed, as before.
  document.body.addEventListener("hl-ticket-version", function (event) {
    var detail = event.detail || {};
    var page = document.querySelector('.hl-ticket[data-ticket="' + detail.ticket + '"]');
    if (!page) return;
    page.querySelectorAll('input[name="version"]').forEach(function (input) {
      if (input.value !== String(detail.shown) && input.value !== String(detail.version)) return;
      input.value = detail.version;
      var seen = input.form && input.form.querySelector('input[name="seen"]');
      if (seen) seen.value = detail.seen;
    });
  });

  // A plain (non-htmx) post that failed re-renders the page with its dialog marked to reopen.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".modal[data-hl-modal-open]").forEach(function (modal) {
      bootstrap.Modal.getOrCreateInstance(modal).show();
    });
  });
})();

// ---- Live board (desk/_live.html) and saved views (desk/_sidebar.html) ----
// The board polls #board-live with the ETag of what it last saw; 304 means nothing changed and
// nothing is swapped. Rows the answer names as changed since the page opened are marked.
(function () {
  "use strict";

  function liveState() {
    return document.querySelector("#board-live [data-hl-live-state]");
  }

  function markChanged() {
    var state = liveState();
    if (!state) return;
    var label = state.getAttribute("data-hl-changed-label") || "";
    (state.getAttribute("data-hl-changed") || "").split(" ").forEach(function (id) {
      if (!id) return;
      var row = document.getElementById("ticket-row-" + id);
      if (!row || row.classList.contains("hl-row-changed")) return;
      row.classList.add("hl-row-changed");
      var badge = document.createElement("span");
      badge.className = "badge hl-changed-badge";
      badge.textContent = label;
      var link = row.querySelector("a[data-hl-open]");
      if (link && link.parentNode) link.parentNode.insertBefore(badge, link.nextSibling);
      else row.appendChild(badge);
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "board-live") return;
    var state = liveState();
    var etag = state && state.getAttribute("data-hl-etag");
    if (etag) event.detail.headers["If-None-Match"] = etag;
  });

  // A background tab does not poll; it catches up on its first poll once shown again.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "board-live" && document.hidden) event.preventDefault();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.elt.id !== "board-live") return;
    var xhr = event.detail.xhr;
    // 304: nothing changed. An answer from elsewhere (the sign-in page, once the session has
    // ended) is not a notice either.
    var path = xhr.responseURL ? new URL(xhr.responseURL).pathname : "";
    if (xhr.status === 304 || path.indexOf("/desk/live/") < 0) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt.id === "board-live" || event.detail.elt.id === "ticket-list") markChanged();
  });
  document.addEventListener("DOMContentLoaded", markChanged);

  // "Save this view" saves what the board shows now: filters apply without reloading the page
  // (the address bar follows them), so the query is read from the address bar when sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-hl-save-view")) return;
    var field = form.querySelector("[data-hl-saved-query]");
    if (field && document.getElementById("ticket-list")) {
      field.value = window.location.search.replace(/^\?/, "");
    }
  });
})();

// The saved view the board shows is marked in the sidebar; filters change without a reload, so
// the mark follows the address bar (the same rules as helpline/desk/saved.py query_normalised).
(function () {
  "use strict";

  var KEPT = ["view", "status", "ticket_class", "priority", "department", "responsible",
    "channel", "organisation", "requester", "tag", "q", "sort", "dir"];

  function normalised(search) {
    var params = new URLSearchParams(search);
    var out = {};
    KEPT.forEach(function (key) {
      var values = params.getAll(key);
      var value = values.length ? values[values.length - 1].trim() : "";
      if (value) out[key] = value;
    });
    out.view = out.view || "open";
    if (out.sort === (out.view === "trash" ? "deleted" : "activity")) delete out.sort;
    if (out.dir !== "asc") delete out.dir;
    return Object.keys(out).sort().map(function (k) { return k + "=" + out[k]; }).join("&");
  }

  function markCurrentSavedView() {
    if (!document.getElementById("ticket-list")) return;
    var here = normalised(window.location.search);
    var current = null;
    document.querySelectorAll("a[data-hl-saved-view]").forEach(function (link) {
      var same = !current && normalised(new URL(link.href).search) === here;
      if (same) current = link;
      link.classList.toggle("active", same);
      if (same) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    });
    document.querySelectorAll("a[data-hl-view]").forEach(function (link) {
      var builtin = !current && link.getAttribute("data-hl-view") === new URLSearchParams(here).get("view");
      link.classList.toggle("active", builtin);
      if (builtin) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    });
  }

  document.addEventListener("htmx:pushedIntoHistory", markCurrentSavedView);
  document.addEventListener("htmx:historyRestore", markCurrentSavedView);
})();

// ---- The bell's dropdown (desk/base_desk.html) ----
// Its list loads when it opens; marking read inside it swaps the list again, which takes away
// the button the keyboard was on: the focus goes to the list's first item instead of the page.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    var menu = event.detail.target;
    if (!menu || menu.id !== "notifications-menu" || !menu.classList.contains("show")) return;
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb !== "post" || menu.contains(document.activeElement)) return;
    var next = menu.querySelector("[data-hl-read], .dropdown-item");
    if (next) next.focus();
  });
})();
