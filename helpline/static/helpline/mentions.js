// @mentions in the internal note box: typing "@" and a few letters lists colleagues (the desk's
// look-up); choosing one writes "@their-address". The server decides who may be told.
(function () {
  "use strict";
  const TRIGGER = /(^|\s)@([^\s@]{0,40})$/;
  let menu = null;
  let active = -1;
  let timer = null;
  let box = null;

  function close() {
    if (menu) menu.remove();
    menu = null;
    active = -1;
  }

  function fragmentBeforeCaret(textarea) {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = TRIGGER.exec(before);
    return match ? { text: match[2], start: before.length - match[2].length - 1 } : null;
  }

  function choose(option) {
    const found = fragmentBeforeCaret(box);
    if (!found || !option) return close();
    const value = box.value;
    const insert = "@" + option.dataset.value + " ";
    box.value = value.slice(0, found.start) + insert + value.slice(box.selectionStart);
    const caret = found.start + insert.length;
    box.setSelectionRange(caret, caret);
    box.focus();
    close();
  }

  function highlight(index) {
    const items = menu ? menu.querySelectorAll("[data-value]") : [];
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach((item, i) => {
      item.classList.toggle("active", i === active);
      item.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    box.setAttribute("aria-activedescendant", items[active].id);
  }

  function show(html) {
    close();
    const doc = new DOMParser().parseFromString("<ul>" + html + "</ul>", "text/html");
    const options = doc.querySelectorAll("li[data-value]");
    if (!options.length) return;
    menu = document.createElement("ul");
    menu.className = "dropdown-menu show hl-mention-menu";
    menu.id = "note-mention-menu";
    menu.setAttribute("role", "listbox");
    options.forEach((source, i) => {
      const item = document.createElement("li");
      item.className = "dropdown-item";
      item.id = "note-mention-" + i;
      item.setAttribute("role", "option");
      item.dataset.value = source.dataset.value;
      item.textContent = source.dataset.label + " — " + source.dataset.value;
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(item);
      });
      menu.appendChild(item);
    });
    box.parentNode.style.position = "relative";
    box.insertAdjacentElement("afterend", menu);
    box.setAttribute("aria-controls", menu.id);
    highlight(0);
  }

  function lookup(textarea) {
    box = textarea;
    const found = fragmentBeforeCaret(textarea);
    if (!found) return close();
    clearTimeout(timer);
    timer = setTimeout(() => {
      const url = textarea.dataset.hlMention + "?q=" + encodeURIComponent(found.text);
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : ""))
        .then(show)
        .catch(close);
    }, 150);
  }

  document.addEventListener("input", (event) => {
    if (event.target.matches("textarea[data-hl-mention]")) lookup(event.target);
  });
  document.addEventListener(
    "keydown",
    (event) => {
      if (!menu || event.target !== box) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        event.stopPropagation();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        event.stopPropagation();
        choose(menu.querySelectorAll("[data-value]")[active]);
      } else if (event.key === "Escape") {
        event.stopPropagation();
        close();
      }
    },
    true
  );
  document.addEventListener("focusout", (event) => {
    if (event.target === box) setTimeout(close, 150);
  });
})();
