// The board's filter bar (desk/board.html): filters apply as they change, typeahead fields ask
// the server for a few matches as the agent types, active filters show as removable chips, and
// the board's address (with its filters) is remembered for the ticket page's "back" link.
// No inline scripts (CSP): everything hangs off data- attributes.
(function () {
  "use strict";

  var BOARD_KEY = "hl-board-url";

  function filterForm() { return document.getElementById("board-filters"); }

  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  // --- how many filters are set (the phone's "Filters" button), and which fields are set ------
  function refreshFilterState() {
    var form = filterForm();
    if (!form) return;
    var count = 0;
    form.querySelectorAll(".hl-filter select, [data-hl-typeahead-value]").forEach(function (field) {
      var set = field.value !== "";
      if (set) count += 1;
      var shown = field.matches("select") ? field : field.parentElement.querySelector("[data-hl-typeahead-input]");
      if (shown) shown.classList.toggle("hl-filter-set", set);
    });
    var q = form.querySelector("input[name=q]");
    if (q && q.value.trim() !== "") count += 1;
    var badge = form.querySelector("[data-hl-filter-count]");
    if (badge) {
      badge.textContent = count;
      badge.classList.toggle("d-none", count === 0);
    }
  }

  // --- the search box: applies after a short pause in typing ----------------------------------
  var searchTimer = null;
  document.addEventListener("input", function (event) {
    var field = event.target;
    var form = filterForm();
    if (!form || field.form !== form || field.name !== "q") return;
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(function () { submit(form); }, 350);
  });

  document.addEventListener("change", function () { refreshFilterState(); });

  // --- typeahead fields ------------------------------------------------------------------------
  function parts(box) {
    return {
      box: box,
      input: box.querySelector("[data-hl-typeahead-input]"),
      value: box.querySelector("[data-hl-typeahead-value]"),
      list: box.querySelector("[role=listbox]"),
    };
  }

  function options(p) { return Array.prototype.slice.call(p.list.querySelectorAll("[data-value]")); }

  function open(p, isOpen) {
    p.list.classList.toggle("d-none", !isOpen);
    p.input.setAttribute("aria-expanded", isOpen ? "true" : "false");
    if (!isOpen) p.input.removeAttribute("aria-activedescendant");
  }

  function highlight(p, option) {
    options(p).forEach(function (o) {
      var on = o === option;
      o.classList.toggle("active", on);
      o.setAttribute("aria-selected", on ? "true" : "false");
    });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      p.input.removeAttribute("aria-activedescendant");
    }
  }

  var sequence = 0;
  function lookup(p) {
    var mine = ++sequence;
    p.box.dataset.hlSequence = mine;
    var url = p.box.getAttribute("data-hl-typeahead") + "?q=" + encodeURIComponent(p.input.value.trim());
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        // A slower answer to an earlier keystroke never replaces a newer one.
        if (String(mine) !== p.box.dataset.hlSequence || document.activeElement !== p.input) return;
        p.list.innerHTML = html;
        open(p, true);
        highlight(p, null);
      })
      .catch(function () { /* offline: the field keeps its value */ });
  }

  function choose(p, value, label) {
    var changed = p.value.value !== value;
    p.value.value = value;
    p.input.value = label;
    p.box.dataset.hlLabel = label;
    open(p, false);
    refreshFilterState();
    if (changed) submit(p.value.form);
  }

  // What the field shows when the agent leaves it without choosing: the name of the value it
  // holds, or nothing (and the filter cleared) if they emptied it.
  function settle(p) {
    if (p.input.value.trim() === "") {
      choose(p, "", "");
    } else if (p.box.dataset.hlLabel !== undefined) {
      p.input.value = p.box.dataset.hlLabel;
    }
    open(p, false);
  }

  var typeTimer = null;
  document.addEventListener("input", function (event) {
    var box = event.target.closest("[data-hl-typeahead]");
    if (!box || !event.target.hasAttribute("data-hl-typeahead-input")) return;
    var p = parts(box);
    window.clearTimeout(typeTimer);
    typeTimer = window.setTimeout(function () { lookup(p); }, 200);
  });

  document.addEventListener("focusin", function (event) {
    if (!event.target.hasAttribute || !event.target.hasAttribute("data-hl-typeahead-input")) return;
    var p = parts(event.target.closest("[data-hl-typeahead]"));
    if (p.box.dataset.hlLabel === undefined) p.box.dataset.hlLabel = p.input.value;
    p.input.select();
    lookup(p);
  });

  document.addEventListener("focusout", function (event) {
    if (!event.target.hasAttribute || !event.target.hasAttribute("data-hl-typeahead-input")) return;
    var p = parts(event.target.closest("[data-hl-typeahead]"));
    // Let a click on an option land first.
    window.setTimeout(function () {
      if (document.activeElement !== p.input) settle(p);
    }, 150);
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute("data-hl-typeahead-input")) return;
    var p = parts(input.closest("[data-hl-typeahead]"));
    var list = options(p);
    var current = list.findIndex(function (o) { return o.classList.contains("active"); });
    var isOpen = !p.list.classList.contains("d-none");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!isOpen) { lookup(p); return; }
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = current < 0 ? (step > 0 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, current + step));
      highlight(p, list[next] || null);
    } else if (event.key === "Enter") {
      // Never submit the whole form with a half-typed name.
      event.preventDefault();
      var pick = list[current] || (list.length === 1 ? list[0] : null);
      if (pick) choose(p, pick.getAttribute("data-value"), pick.getAttribute("data-label"));
    } else if (event.key === "Escape" && isOpen) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (p.box.dataset.hlLabel !== undefined) p.input.value = p.box.dataset.hlLabel;
      open(p, false);
    }
  }, true);

  document.addEventListener("mousedown", function (event) {
    // Keep the focus in the field while an option is clicked.
    if (event.target.closest(".hl-typeahead-list")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest(".hl-typeahead-list [data-value]");
    if (!option) return;
    var p = parts(option.closest("[data-hl-typeahead]"));
    choose(p, option.getAttribute("data-value"), option.getAttribute("data-label"));
  });

  // --- chips: remove one filter (or all) without leaving the page ---------------------------
  function clearField(form, name) {
    form.querySelectorAll('[name="' + name + '"]').forEach(function (field) {
      if (field.form !== form) return;
      field.value = "";
      var box = field.closest("[data-hl-typeahead]");
      if (box) {
        box.querySelector("[data-hl-typeahead-input]").value = "";
        box.dataset.hlLabel = "";
      }
    });
  }

  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-hl-chip-clear]");
    var form = filterForm();
    if (!chip || !form) return;
    event.preventDefault();
    var name = chip.getAttribute("data-hl-chip-clear");
    if (name === "*") {
      form.querySelectorAll(".hl-filter select, [data-hl-typeahead-value], input[name=q]").forEach(function (field) {
        clearField(form, field.name);
      });
    } else {
      clearField(form, name);
    }
    refreshFilterState();
    submit(form);
  });

  // --- the board's address, for the ticket page's way back -------------------------------------
  function rememberBoard() {
    if (!filterForm()) return;
    try { sessionStorage.setItem(BOARD_KEY, window.location.pathname + window.location.search); } catch (e) { /* private mode */ }
  }

  function pointBackLinks() {
    var url = null;
    try { url = sessionStorage.getItem(BOARD_KEY); } catch (e) { return; }
    if (!url) return;
    document.querySelectorAll("[data-hl-board-link]").forEach(function (link) { link.setAttribute("href", url); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    refreshFilterState();
    rememberBoard();
    pointBackLinks();
  });
  document.addEventListener("htmx:pushedIntoHistory", rememberBoard);
  document.addEventListener("htmx:historyRestore", function () { rememberBoard(); refreshFilterState(); });
  document.addEventListener("htmx:afterSwap", pointBackLinks);
})();
