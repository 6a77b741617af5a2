// A list field (allergies, conditions, medications): each entry a chip with a remove button,
// added through a combobox over the knowledge base. Free text is allowed: the engine reports
// back any name it does not recognise rather than dropping it.

import { Combobox } from "./combobox.js";
import { $, clear, h } from "./dom.js";
import { suggestions } from "./suggestions.js";

export class TokenField {
  constructor(root) {
    this.root = root;
    this.path = root.dataset.tokenField;
    this.label = $("label", root).textContent.trim();
    this.chips = $('[data-role="chips"]', root);
    this.input = $('input[role="combobox"]', root);
    this.items = [];
    new Combobox(this.input, $('[role="listbox"]', root), {
      search: suggestions[root.dataset.source],
      onPick: (choice) => this.add(choice.value),
    });
  }

  add(value) {
    const text = value.trim();
    const seen = this.items.some((item) => item.toLowerCase() === text.toLowerCase());
    if (!text || seen) return;
    this.items.push(text);
    this.render();
  }

  remove(index) {
    this.items.splice(index, 1);
    this.render();
    this.input.focus();
  }

  set(values) {
    this.items = [];
    for (const value of values || []) this.add(String(value));
    this.render();
  }

  /** The entries, including text typed but not yet added (people forget to press Enter). */
  values() {
    const pending = this.input.value.trim();
    return pending && !this.items.includes(pending) ? [...this.items, pending] : [...this.items];
  }

  render() {
    clear(this.chips);
    this.items.forEach((item, index) => {
      const remove = h("button", {
        type: "button",
        class: "chip-remove",
        text: "×",
        attrs: { "aria-label": `Remove ${item} from ${this.label.toLowerCase()}` },
        on: { click: () => this.remove(index) },
      });
      this.chips.append(
        h("li", { class: "chip", testid: "chip" }, h("span", { text: item }), remove),
      );
    });
  }
}
