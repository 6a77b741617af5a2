// An editable combobox with a list of suggestions (WAI-ARIA 1.2 "combobox with listbox popup").
// Arrow keys move through the suggestions, Enter picks the active one (or the typed text),
// Escape closes the list; the input keeps focus throughout.

import { clear, h } from "./dom.js";

const DEBOUNCE_MS = 120;

export class Combobox {
  /**
   * search(query, signal) resolves to [{value, label, meta?, hint?}];
   * onPick({value, label}) is called with a suggestion or the typed text.
   */
  constructor(input, listbox, { search, onPick }) {
    this.input = input;
    this.listbox = listbox;
    this.search = search;
    this.onPick = onPick;
    this.options = [];
    this.active = -1;
    this.timer = null;
    this.abort = null;
    input.addEventListener("input", () => this.schedule());
    input.addEventListener("keydown", (event) => this.key(event));
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.lookup(), DEBOUNCE_MS);
  }

  async lookup() {
    const query = this.input.value.trim();
    this.abort?.abort();
    if (!query) {
      this.close();
      return;
    }
    this.abort = new AbortController();
    try {
      const options = await this.search(query, this.abort.signal);
      if (this.input.value.trim() === query) this.show(options);
    } catch (error) {
      if (error.name !== "AbortError") this.close();
    }
  }

  show(options) {
    this.options = options;
    this.active = -1;
    clear(this.listbox);
    options.forEach((option, index) => this.listbox.append(this.optionNode(option, index)));
    const open = options.length > 0;
    this.listbox.hidden = !open;
    this.input.setAttribute("aria-expanded", String(open));
    this.input.removeAttribute("aria-activedescendant");
  }

  optionNode(option, index) {
    return h(
      "li",
      {
        id: `${this.listbox.id}-${index}`,
        class: "combo-option",
        attrs: { role: "option", "aria-selected": "false" },
        on: { click: () => this.pick(index) },
      },
      h("span", { class: "combo-label", text: option.label }),
      option.hint ? h("span", { class: "combo-hint", text: option.hint }) : null,
      option.meta ? h("span", { class: "combo-meta", text: option.meta }) : null,
    );
  }

  close() {
    this.abort?.abort();
    clearTimeout(this.timer);
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  }

  get isOpen() {
    return !this.listbox.hidden;
  }

  move(step) {
    if (!this.isOpen || !this.options.length) return;
    const count = this.options.length;
    this.active = (this.active + step + count) % count;
    Array.from(this.listbox.children).forEach((node, index) => {
      node.setAttribute("aria-selected", String(index === this.active));
      if (index === this.active) node.scrollIntoView({ block: "nearest" });
    });
    this.input.setAttribute("aria-activedescendant", `${this.listbox.id}-${this.active}`);
  }

  key(event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!this.isOpen) this.lookup();
      else this.move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.active >= 0) this.pick(this.active);
      else this.pickTyped();
    } else if (event.key === "Escape" && this.isOpen) {
      event.preventDefault();
      this.close();
    }
  }

  pick(index) {
    const option = this.options[index];
    this.finish({ value: option.value, label: option.label });
  }

  pickTyped() {
    const text = this.input.value.trim();
    if (text) this.finish({ value: text, label: text });
  }

  finish(choice) {
    this.close();
    this.input.value = "";
    this.onPick(choice);
    this.input.focus();
  }
}
