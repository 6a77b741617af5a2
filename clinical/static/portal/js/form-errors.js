// Showing errors beside their fields. Paths are the server's (`vitals.heart_rate`,
// `symptoms.0.name`, `history.allergies.2`): an error lands on the closest element that claims
// its path or a parent of it, and anything unclaimed goes to the form's summary.

import { $, $$, clear, h } from "./dom.js";

function errorSlot(form, path) {
  const parts = path.split(".");
  while (parts.length) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(parts.join("."))}"]`);
    if (slot) return slot;
    parts.pop();
  }
  return null;
}

function controlsOf(slot) {
  const field = slot.closest("[data-field]");
  return field ? $$("input, select, textarea", field) : [];
}

export function clearErrors(form) {
  for (const slot of $$("[data-error-for]", form)) {
    slot.hidden = true;
    clear(slot);
    for (const control of controlsOf(slot)) control.removeAttribute("aria-invalid");
  }
  const summary = $('[data-role="form-errors"]', form);
  summary.hidden = true;
  clear(summary);
}

/** Show `{path: [messages]}`; focuses the first invalid control (or the summary). */
export function showErrors(form, details, labelOf = (path) => path) {
  clearErrors(form);
  const summary = $('[data-role="form-errors"]', form);
  const unclaimed = [];
  let first = null;
  for (const [path, messages] of Object.entries(details || {})) {
    const slot = errorSlot(form, path);
    const text = messages.join("; ");
    if (!slot) {
      unclaimed.push(`${labelOf(path)}: ${text}`);
      continue;
    }
    slot.append(h("span", { text: slot.childNodes.length ? ` ${text}` : text }));
    slot.hidden = false;
    const controls = controlsOf(slot);
    for (const control of controls) control.setAttribute("aria-invalid", "true");
    first ||= controls[0] || null;
  }
  if (unclaimed.length) {
    const items = unclaimed.map((text) => h("li", { text }));
    summary.append(h("p", { text: "Please correct the following:" }), h("ul", {}, items));
    summary.hidden = false;
  }
  (first || (unclaimed.length ? summary : null))?.focus();
}

export function showFormMessage(form, message) {
  clearErrors(form);
  const summary = $('[data-role="form-errors"]', form);
  summary.append(h("p", { text: message }));
  summary.hidden = false;
  summary.focus();
}
