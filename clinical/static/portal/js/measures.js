// The vital signs and labs the engine knows, with the label and unit to show for each: the
// engine's field registry (clinical/engine/contract/fields.py), sent in the page's config, so
// the portal never keeps a list of its own.

const config = JSON.parse(document.getElementById("portal-config").textContent);

/** {vitals: {name: [label, unit]}, labs: {name: [label, unit]}} */
export const MEASURES = config.measures;

/** The unit shown beside a vital sign's input ("" when it has none). */
export function unitOf(name) {
  return (MEASURES.vitals[name] || ["", ""])[1];
}
