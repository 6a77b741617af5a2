// A prescription stream on screen: the allergy check, each medication with its dose, the
// interaction alerts by severity (in words as well as colour), monitoring, then on completion
// the excluded drugs with the reason each was dropped, follow-up and warnings.

import { append, clear, h } from "./dom.js";
import { humanize } from "./format.js";

const SEVERITY = {
  contraindicated: "Contraindicated",
  major: "Major interaction",
  moderate: "Moderate interaction",
  minor: "Minor interaction",
};

const NO_INTERACTION = "No interaction found between these drugs in the knowledge base.";

function card(title, testid, ...children) {
  return h(
    "section",
    { class: "card", testid },
    h("header", { class: "card-head" }, h("h2", { text: title })),
    ...children,
  );
}

function placeholder(text) {
  return h("p", { class: "muted placeholder", text });
}

export class PrescriptionResults {
  constructor() {
    this.allergy = h("div", {}, placeholder("Waiting for the allergy check…"));
    this.medications = h("ul", { class: "med-list", testid: "medication-list" });
    this.noMedication = placeholder("Medications appear here as they are selected.");
    this.interactions = h("ul", { class: "alert-list", testid: "interaction-list" });
    this.noInteraction = placeholder("Waiting for the interaction check…");
    this.excluded = h("div", {}, placeholder("Shown when the prescription is complete."));
    this.monitoring = h("ul", { class: "plain-list", testid: "monitoring-list" });
    this.noMonitoring = placeholder("Waiting for monitoring advice…");
    this.followUp = h("div", {}, placeholder("Waiting for follow-up advice…"));
    this.warnings = h("div", { class: "warnings-slot" });
    this.main = [
      this.warnings,
      h(
        "section",
        { class: "card", testid: "medications" },
        h(
          "header",
          { class: "card-head" },
          h("h2", { text: "Medications" }),
          h("span", { class: "tag tag-support", text: "Decision support" }),
        ),
        this.noMedication,
        this.medications,
      ),
      card("Interaction alerts", "interactions", this.noInteraction, this.interactions),
      card("Excluded drugs", "excluded", this.excluded),
      card("Monitoring", "monitoring", this.noMonitoring, this.monitoring),
      card("Follow-up", "follow-up", this.followUp),
    ];
    this.side = [card("Allergy check", "allergy-check", this.allergy)];
  }

  apply(frame) {
    if (frame.type === "complete") this.complete(frame.result || {});
    if (
      frame.type === "progress" &&
      ["monitoring_advice", "finalization", "complete"].includes(frame.stage)
    ) {
      this.noInteraction.textContent = NO_INTERACTION;
    }
    if (frame.type !== "stream_chunk") return;
    const content = frame.content || {};
    const handlers = {
      allergy_check: () => this.showAllergyCheck(content),
      medication_selection: () => this.addMedication(content),
      interaction_check: () => this.addInteraction(content),
      monitoring_advice: () => this.addMonitoring(content),
      finalization: () => this.showFollowUp(content),
    };
    handlers[frame.stage]?.();
  }

  showAllergyCheck(check) {
    clear(this.allergy);
    const recognised = check.recognized || [];
    const unrecognised = check.unrecognized || [];
    const cross = check.cross_reactivity || [];
    if (!recognised.length && !unrecognised.length) {
      this.allergy.append(h("p", { testid: "allergy-result", text: "No allergies recorded." }));
      return;
    }
    append(this.allergy, [
      recognised.length
        ? h(
            "ul",
            { class: "plain-list", testid: "allergy-result" },
            recognised.map((entry) =>
              h(
                "li",
                {},
                h("strong", { text: entry.allergy }),
                ` → ${[...(entry.groups || []), ...(entry.drugs || [])].join(", ") || "recorded"}`,
              ),
            ),
          )
        : null,
      unrecognised.length
        ? h(
            "p",
            { class: "notice notice-warn", testid: "allergy-unrecognised" },
            h("strong", { text: "Not recognised: " }),
            unrecognised.join(", "),
            " — check these by hand.",
          )
        : null,
      cross.length
        ? h(
            "details",
            { class: "cross" },
            h("summary", {
              text: `Cross-reactivity: ${cross.length} caution${cross.length > 1 ? "s" : ""}`,
            }),
            h(
              "ul",
              { class: "plain-list" },
              cross.map((c) =>
                h(
                  "li",
                  {},
                  h("strong", { text: `${c.to} (${c.action})` }),
                  h("p", { class: "small", text: c.text }),
                ),
              ),
            ),
          )
        : null,
    ]);
  }

  addMedication(med) {
    this.noMedication.hidden = true;
    const dose = [med.dose, med.route, med.frequency, med.duration].filter(Boolean).join(" · ");
    const notes = [...(med.adjustments || []), ...(med.check_before_prescribing || [])];
    this.medications.append(
      h(
        "li",
        { class: "med-item", testid: "medication-item", dataset: { drug: med.drug || med.name } },
        h(
          "div",
          { class: "med-head" },
          h("h3", { class: "med-name", text: med.name }),
          h("p", { class: "med-dose", testid: "medication-dose", text: dose }),
        ),
        med.rationale ? h("p", { class: "med-rationale", text: med.rationale }) : null,
        notes.length
          ? h(
              "ul",
              { class: "plain-list med-notes" },
              notes.map((note) => h("li", { text: note })),
            )
          : null,
      ),
    );
  }

  addInteraction(alert) {
    this.noInteraction.hidden = true;
    const severity = alert.severity || "unknown";
    this.interactions.append(
      h(
        "li",
        {
          class: `interaction severity-${severity}`,
          testid: "interaction-alert",
          dataset: { severity },
          attrs: { role: "note" },
        },
        h(
          "p",
          { class: "interaction-head" },
          h("span", { class: "severity-tag", text: SEVERITY[severity] || humanize(severity) }),
          " ",
          h("strong", { text: (alert.drugs || []).join(" + ") }),
        ),
        alert.mechanism ? h("p", { class: "small", text: alert.mechanism }) : null,
        alert.advice
          ? h("p", { class: "interaction-advice" }, h("strong", { text: "Advice: " }), alert.advice)
          : null,
      ),
    );
  }

  addMonitoring(item) {
    this.noMonitoring.hidden = true;
    this.monitoring.append(
      h(
        "li",
        { testid: "monitoring-item" },
        item.for ? h("strong", { text: `${item.for}: ` }) : null,
        item.text,
      ),
    );
  }

  showFollowUp(content) {
    clear(this.followUp).append(
      h("p", { testid: "follow-up-text", text: content.follow_up || "No follow-up advice." }),
    );
  }

  complete(result) {
    if (!this.interactions.children.length) this.noInteraction.textContent = NO_INTERACTION;
    this.noMedication.textContent =
      "No medication could be suggested: see the warnings and excluded drugs.";
    this.noMonitoring.textContent = "No monitoring advice.";
    const excluded = result.excluded || [];
    clear(this.excluded).append(
      excluded.length
        ? h(
            "ul",
            { class: "excluded-list" },
            excluded.map((drug) =>
              h(
                "li",
                {
                  class: "excluded-item",
                  testid: "excluded-item",
                  dataset: { drug: drug.drug || drug.name },
                },
                h("span", { class: "excluded-tag", text: "Excluded" }),
                " ",
                h("strong", { class: "excluded-name", text: drug.name }),
                h("p", { class: "excluded-reason", testid: "excluded-reason", text: drug.reason }),
              ),
            ),
          )
        : h("p", { class: "muted", text: "No candidate drug was excluded." }),
    );
    const warnings = result.warnings || [];
    const advice = result.non_drug || [];
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
    if (advice.length) {
      this.followUp.append(
        h("h3", { text: "Without medication" }),
        h(
          "ul",
          { class: "plain-list" },
          advice.map((a) => h("li", { text: a })),
        ),
      );
    }
  }
}
