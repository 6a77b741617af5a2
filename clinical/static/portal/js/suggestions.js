// Autocomplete sources over the knowledge base's REST listings. The server matches the start of
// a word in a name or synonym; here results are trimmed to what each field takes, and a synonym
// that matched is shown so "dysp" visibly explains "Shortness of breath".

import { api } from "./api.js";

const SHOWN = 8;
const SYMPTOM_CATEGORIES = new Set(["symptom", "sign", "vital"]);
const FINDING_CATEGORIES = new Set([...SYMPTOM_CATEGORIES, "history"]);

function matchedSynonym(query, label, synonyms = []) {
  const start = query.toLowerCase();
  const hit = (text) =>
    text.toLowerCase().startsWith(start) || text.toLowerCase().includes(` ${start}`);
  if (hit(label)) return null;
  return synonyms.find(hit) || null;
}

function findingOption(query, finding) {
  const hint = quoted(matchedSynonym(query, finding.label, finding.synonyms));
  return { value: finding.label, label: finding.label, hint, meta: finding.category };
}

async function findings(query, signal, categories) {
  const found = await api.findings(query, signal);
  return found
    .filter((finding) => categories.has(finding.category))
    .slice(0, SHOWN)
    .map((finding) => findingOption(query, finding));
}

function quoted(text) {
  return text ? `“${text}”` : null;
}

function drugOption(query, drug) {
  const hint = quoted(matchedSynonym(query, drug.name, drug.synonyms));
  return { value: drug.name, label: drug.name, hint, meta: drug.drug_class };
}

export const suggestions = {
  symptoms: (query, signal) => findings(query, signal, SYMPTOM_CATEGORIES),
  conditions: (query, signal) => findings(query, signal, new Set(["history"])),
  /** Any finding a symptom name may state (a correction to a note's reading). */
  findings: (query, signal) => findings(query, signal, FINDING_CATEGORIES),
  drugs: async (query, signal) =>
    (await api.drugs(query, signal)).map((drug) => drugOption(query, drug)),
  allergies: async (query, signal) => {
    const [groups, drugs] = await Promise.all([
      api.allergyGroups(query, signal),
      api.drugs(query, signal),
    ]);
    const groupOptions = groups.map((group) => ({
      value: group.name,
      label: group.name,
      hint: quoted(matchedSynonym(query, group.name, group.synonyms)),
      meta: "allergy group",
    }));
    return [...groupOptions, ...drugs.map((drug) => drugOption(query, drug))].slice(0, SHOWN);
  },
};
