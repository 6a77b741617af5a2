// A diagnosis stream on screen: the clinical note as read, findings, scores, the differential
// item by item, then the primary diagnosis with its urgency, red flags and recommended tests.
// Each frame is applied once (the session's record guarantees seq order), so each item is
// appended exactly once.

import { append, clear, h } from "./dom.js";
import { URGENCY, absentLabel, humanize, percent } from "./format.js";
import { NoteView } from "./note-view.js";
import { scoresPanel } from "./scores.js";

function findingText(status, label) {
  return status === "absent" ? absentLabel(label) : label;
}

function card(title, testid, ...children) {
  return h(
    "section",
    { class: "card", testid },
    h("header", { class: "card-head" }, h("h2", { text: title })),
    ...children,
  );
}

function supportTag() {
  return h("span", { class: "tag tag-support", text: "Decision support" });
}

function code(icd10) {
  return icd10 ? h("span", { class: "code", text: icd10, attrs: { title: "ICD-10" } }) : null;
}

export function urgencyBanner(urgency, reason) {
  const meta = URGENCY[urgency] || { label: humanize(urgency), icon: "i", hint: "" };
  return h(
    "div",
    {
      class: `urgency urgency-${urgency}`,
      testid: "urgency-banner",
      dataset: { urgency },
      attrs: { role: urgency === "emergency" ? "alert" : "status" },
    },
    h("span", { class: "urgency-icon", text: meta.icon, attrs: { "aria-hidden": "true" } }),
    h(
      "div",
      { class: "urgency-body" },
      h(
        "p",
        { class: "urgency-title" },
        h("strong", { text: meta.label }),
        meta.hint ? ` · ${meta.hint}` : "",
      ),
      reason ? h("p", { class: "urgency-reason", text: reason }) : null,
    ),
  );
}

export class DiagnosisResults {
  constructor({ onPrescribe, onRerun }) {
    this.onPrescribe = onPrescribe;
    this.note = new NoteView({ onRerun });
    this.count = 0;
    this.shownPrimary = false;
    this.urgency = h("div", { class: "urgency-slot" });
    this.primary = h("div", { class: "primary-slot" });
    this.list = h("ol", { class: "differential", testid: "differential-list" });
    this.waiting = h("p", {
      class: "muted placeholder",
      text: "The ranked differential appears here as it streams.",
    });
    this.findings = h(
      "div",
      { class: "findings-body" },
      h("p", { class: "muted placeholder", text: "Waiting for the symptom analysis…" }),
    );
    this.scores = h(
      "div",
      { class: "scores-body" },
      h("p", { class: "muted placeholder", text: "Waiting for the vital signs…" }),
    );
    this.history = h(
      "div",
      { class: "history-body" },
      h("p", { class: "muted placeholder", text: "Waiting for the history review…" }),
    );
    this.warnings = h("div", { class: "warnings-slot" });
    const differential = h(
      "section",
      { class: "card", testid: "differential" },
      h(
        "header",
        { class: "card-head" },
        h("h2", { text: "Differential diagnosis" }),
        supportTag(),
      ),
      this.waiting,
      this.list,
    );
    this.main = [
      this.urgency,
      this.primary,
      this.note.node,
      differential,
      this.warnings,
      card("Findings", "findings", this.findings),
    ];
    this.side = [
      card("Scores", "scores-panel", this.scores),
      card("History and risk factors", "history-review", this.history),
    ];
  }

  /** The session's request (for its note), and whether this user may correct and re-run it. */
  describeRequest(request, editable) {
    this.note.setRequest(request, editable);
  }

  apply(frame) {
    if (frame.type === "complete") this.complete(frame.result || {});
    if (frame.type === "error") this.note.finish();
    if (frame.type !== "stream_chunk") return;
    const content = frame.content || {};
    const handlers = {
      symptoms_analysis: () => {
        this.showFindings(content);
        this.note.setExtracted(content.extracted, content.recognized_findings);
      },
      vitals_evaluation: () => this.showScores(content.scores),
      history_review: () => this.showHistory(content),
      differential_diagnosis: () => this.addDifferential(content, frame.seq),
      primary_diagnosis: () => this.showPrimary(content),
    };
    handlers[frame.stage]?.();
  }

  showFindings(content) {
    clear(this.findings);
    const recognised = content.recognized_findings || [];
    const chips = recognised.map((finding) =>
      h(
        "li",
        { class: `finding finding-${finding.status}` },
        findingText(finding.status, finding.label || finding.name),
      ),
    );
    append(this.findings, [
      chips.length
        ? h("ul", { class: "finding-list", attrs: { "aria-label": "Recognised findings" } }, chips)
        : null,
      this.unrecognised(
        content.unrecognized_symptoms,
        "Symptoms not recognised",
        "unrecognized-symptoms",
      ),
    ]);
  }

  unrecognised(names, title, testid) {
    if (!names || !names.length) return null;
    return h(
      "div",
      { class: "notice notice-warn", testid },
      h("strong", { text: `${title}: ` }),
      names.join(", "),
      h("span", {
        class: "muted",
        text: " — not used in the ranking; check the spelling or use a synonym.",
      }),
    );
  }

  showScores(scores) {
    clear(this.scores).append(scoresPanel(scores));
  }

  showHistory(content) {
    clear(this.history);
    const factors = content.risk_factors || [];
    const items = factors.map((factor) => {
      const raised = (factor.raises || []).slice(0, 4).map((r) => `${r.diagnosis} ×${r.factor}`);
      return h(
        "li",
        {},
        h("strong", { text: factor.label }),
        raised.length ? h("span", { class: "muted", text: ` raises ${raised.join(", ")}` }) : null,
      );
    });
    append(this.history, [
      items.length
        ? h("ul", { class: "plain-list" }, items)
        : h("p", { class: "muted", text: "No history risk factors apply." }),
      this.unrecognised(
        content.unrecognized_history,
        "History not recognised",
        "unrecognized-history",
      ),
    ]);
  }

  addDifferential(item, seq) {
    this.count += 1;
    this.waiting.hidden = true;
    const probability = Number(item.probability) || 0;
    const bar = h("span", { class: "prob-fill" });
    bar.style.width = `${Math.max(0.5, probability * 100)}%`;
    const evidence = (item.evidence || []).map((e) =>
      h(
        "li",
        { class: `evidence evidence-${e.status}` },
        h("span", { text: findingText(e.status, e.label) }),
        h("span", { class: "muted", text: ` LR ${Number(e.likelihood_ratio).toFixed(2)}` }),
      ),
    );
    this.list.append(
      h(
        "li",
        {
          class: "dx-item",
          testid: "differential-item",
          dataset: { seq, diagnosis: item.diagnosis },
        },
        h(
          "div",
          { class: "dx-head" },
          h(
            "span",
            { class: "dx-rank" },
            h("span", { class: "visually-hidden", text: "Rank " }),
            String(this.count),
          ),
          h("h3", { class: "dx-name" }, h("span", { text: item.diagnosis }), " ", code(item.icd10)),
          h("span", {
            class: "dx-prob",
            testid: "differential-probability",
            text: percent(probability),
          }),
        ),
        h("div", { class: "prob-track", attrs: { "aria-hidden": "true" } }, bar),
        h("p", { class: "dx-reasoning", text: item.reasoning }),
        h(
          "div",
          { class: "dx-actions" },
          evidence.length
            ? h(
                "details",
                { class: "evidence-details" },
                h("summary", { text: `Evidence (${evidence.length})` }),
                h("ul", { class: "evidence-list" }, evidence),
              )
            : h("span"),
          this.prescribeButton(item.diagnosis, item.icd10, "button small"),
        ),
      ),
    );
  }

  prescribeButton(diagnosis, icd10, className) {
    return h("button", {
      type: "button",
      class: className,
      testid: "prescribe-button",
      text: "Prescribe",
      attrs: { "aria-label": `Prescribe for ${diagnosis}` },
      on: { click: () => this.onPrescribe({ diagnosis, icd10 }) },
    });
  }

  showPrimary(primary) {
    this.shownPrimary = true;
    clear(this.urgency).append(urgencyBanner(primary.urgency, primary.urgency_reason));
    const present = (primary.red_flags || []).filter((flag) => flag.status === "present");
    const watch = (primary.red_flags || []).filter((flag) => flag.status !== "present");
    const tests = primary.recommended_tests || [];
    clear(this.primary).append(
      h(
        "section",
        { class: "card primary", testid: "primary-diagnosis" },
        h(
          "header",
          { class: "card-head" },
          h("p", { class: "eyebrow", text: "Most likely" }),
          supportTag(),
        ),
        h(
          "div",
          { class: "primary-title" },
          h("h2", {}, h("span", { text: primary.diagnosis }), " ", code(primary.icd10)),
          h("p", {
            class: "primary-confidence",
            text: `${percent(primary.confidence)} probability`,
          }),
        ),
        present.length
          ? h(
              "div",
              { class: "red-flags" },
              h("h3", { text: "Red flags present" }),
              h(
                "ul",
                { class: "flag-list" },
                present.map((flag) =>
                  h(
                    "li",
                    { class: "red-flag", testid: "red-flag" },
                    h("span", { class: "flag-tag", text: "Present" }),
                    " ",
                    flag.text,
                  ),
                ),
              ),
            )
          : null,
        watch.length
          ? h(
              "div",
              { class: "watch-flags" },
              h("h3", { text: "Watch for" }),
              h(
                "ul",
                { class: "plain-list" },
                watch.map((flag) => h("li", { testid: "watch-flag", text: flag.text })),
              ),
            )
          : null,
        tests.length
          ? h(
              "div",
              { class: "tests" },
              h("h3", { text: "Recommended tests" }),
              h(
                "ul",
                { class: "plain-list" },
                tests.map((test) => h("li", { testid: "recommended-test", text: test.text })),
              ),
            )
          : null,
        h(
          "div",
          { class: "primary-actions" },
          this.prescribeButton(primary.diagnosis, primary.icd10, "button primary"),
        ),
      ),
    );
  }

  complete(result) {
    this.note.setExtracted(result.extracted, result.recognized_findings);
    this.note.finish();
    if (!this.shownPrimary && result.primary_diagnosis) {
      this.showPrimary({ ...result, diagnosis: result.primary_diagnosis });
    }
    const warnings = result.warnings || [];
    if (warnings.length) {
      clear(this.warnings).append(
        h(
          "div",
          { class: "notice notice-warn", testid: "result-warnings" },
          h("strong", { text: "Warnings" }),
          h(
            "ul",
            { class: "plain-list" },
            warnings.map((w) => h("li", { text: w })),
          ),
        ),
      );
    }
  }
}
