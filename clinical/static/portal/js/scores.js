// The scores panel: NEWS2 with its RCP clinical-risk colour band, qSOFA, CURB-65 / CRB-65,
// Centor / McIsaac and Bedside PEWS when the engine reports them. Each band is also written out in words, so
// colour is never the only signal; an incomplete score says what it is missing.

import { h } from "./dom.js";
import { humanize } from "./format.js";

const SCORES = {
  news2: { name: "NEWS2", max: 20 },
  qsofa: { name: "qSOFA", max: 3 },
  curb65: { name: "CURB-65", max: 5 },
  crb65: { name: "CRB-65", max: 4 },
  centor: { name: "Centor", max: 4 },
  mcisaac: { name: "McIsaac", max: 5 },
  bedside_pews_5_12: { name: "Bedside PEWS (ages 5-12)", max: 26 },
  bedside_pews_13_15: { name: "Bedside PEWS (ages 13-15)", max: 26 },
};

// RCP NEWS2 (2017) thresholds and triggers: the clinical risk each aggregate score band means.
const NEWS2_BANDS = {
  low: "Low clinical risk (0-4)",
  "low-medium": "Low-medium clinical risk (3 in one parameter)",
  medium: "Medium clinical risk (5-6)",
  high: "High clinical risk (7 or more)",
};

function scoreValue(score) {
  return score.total ?? score.score ?? null;
}

function components(score) {
  const rows = Object.entries(score.components || {}).map(([name, points]) =>
    h(
      "li",
      { class: points >= 3 ? "component is-red" : "component" },
      h("span", { text: humanize(name) }),
      h("span", {
        class: "component-points",
        text: points >= 3 ? `${points} (single-parameter trigger)` : String(points),
      }),
    ),
  );
  return rows.length
    ? h("ul", { class: "components", attrs: { "aria-label": "Points per item" } }, rows)
    : null;
}

// An item in both `missing` and `components` is scored only in part: its points are a floor
// (Bedside PEWS on oxygen, its flow not given).
function missing(score) {
  const scored = score.components || {};
  const unscored = (score.missing || []).filter((item) => !(item in scored)).map(humanize);
  const partly = (score.missing || []).filter((item) => item in scored).map(humanize);
  const text = [
    unscored.length ? `Not scored (missing): ${unscored.join(", ")}` : "",
    partly.length ? `Scored only in part (at least): ${partly.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join(". ");
  return text ? h("p", { class: "score-missing", text }) : null;
}

function news2Band(score) {
  if (score.risk && NEWS2_BANDS[score.risk])
    return { band: score.risk, text: NEWS2_BANDS[score.risk] };
  if (score.red_score)
    return {
      band: "low-medium",
      text: "At least low-medium risk: one parameter scores 3 (incomplete)",
    };
  return { band: "incomplete", text: "Risk not settled: the score is incomplete" };
}

function news2Card(score) {
  const { band, text } = news2Band(score);
  return h(
    "section",
    { class: `score score-news2 band-${band}`, testid: "score-news2", dataset: { band } },
    h(
      "header",
      { class: "score-head" },
      h("h3", { text: "NEWS2" }),
      h(
        "p",
        { class: "score-value" },
        h("strong", { text: scoreValue(score) }),
        h("span", { text: " / 20" }),
      ),
    ),
    h(
      "p",
      { class: "band-pill", testid: "news2-band" },
      h("span", { class: "band-swatch", attrs: { "aria-hidden": "true" } }),
      text,
    ),
    score.advice ? h("p", { class: "score-advice", text: score.advice }) : null,
    components(score),
    missing(score),
  );
}

function verdict(score) {
  if (score.positive === true) return "Positive (2 or more)";
  if (score.positive === false) return "Negative";
  if (score.risk) return `${humanize(score.risk)} risk`;
  return null;
}

function scoreCard(id, score) {
  const meta = SCORES[id] || { name: humanize(id), max: null };
  const value = scoreValue(score);
  const facts = [
    verdict(score),
    score.mortality ? `30-day mortality ${score.mortality}` : null,
    score.probability ? `Probability ${score.probability}` : null,
  ].filter(Boolean);
  return h(
    "section",
    {
      class: `score score-${id}${score.positive || score.risk === "high" ? " is-alert" : ""}`,
      testid: `score-${id}`,
    },
    h(
      "header",
      { class: "score-head" },
      h("h3", { text: meta.name }),
      h(
        "p",
        { class: "score-value" },
        h("strong", { text: value }),
        meta.max ? h("span", { text: ` / ${meta.max}` }) : null,
      ),
    ),
    facts.length ? h("p", { class: "score-verdict", text: facts.join(" · ") }) : null,
    score.advice ? h("p", { class: "score-advice", text: score.advice }) : null,
    missing(score),
  );
}

export function scoresPanel(scores) {
  const ids = Object.keys(scores || {});
  const known = Object.keys(SCORES).filter((id) => ids.includes(id));
  const others = ids.filter((id) => !(id in SCORES));
  const cards = [...known, ...others].map((id) =>
    id === "news2" ? news2Card(scores[id]) : scoreCard(id, scores[id]),
  );
  if (!cards.length) {
    return h("p", {
      class: "muted",
      text: "No score could be computed: enter vital signs for NEWS2 and qSOFA.",
    });
  }
  return h("div", { class: "scores" }, cards);
}
