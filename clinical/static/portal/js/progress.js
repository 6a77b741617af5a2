// The stream's progress bar: the stage's name and percentage, announced politely to screen
// readers (one announcement per stage, which is one progress frame).

import { h } from "./dom.js";
import { stageLabel } from "./format.js";

export class ProgressBar {
  constructor() {
    this.stage = h("span", { class: "progress-stage", text: "Waiting for the server…" });
    this.value = h("span", { class: "progress-value", text: "0%" });
    this.fill = h("div", { class: "progress-fill" });
    this.track = h(
      "div",
      {
        class: "progress-track",
        attrs: {
          role: "progressbar",
          "aria-valuemin": 0,
          "aria-valuemax": 100,
          "aria-valuenow": 0,
          "aria-label": "Stream progress",
        },
      },
      this.fill,
    );
    this.message = h("p", { class: "progress-message" });
    this.live = h("p", { class: "visually-hidden", attrs: { "aria-live": "polite" } });
    this.node = h(
      "div",
      { class: "progress", testid: "progress-bar", dataset: { progress: 0, stage: "" } },
      h("div", { class: "progress-head" }, this.stage, this.value),
      this.track,
      this.message,
      this.live,
    );
  }

  update(stage, progress, message) {
    const value = Math.max(0, Math.min(100, Number(progress) || 0));
    const label = stageLabel(stage);
    this.stage.textContent = label;
    this.value.textContent = `${value}%`;
    this.fill.style.width = `${value}%`;
    this.track.setAttribute("aria-valuenow", String(value));
    this.track.setAttribute("aria-valuetext", `${label}, ${value}%`);
    this.node.dataset.progress = String(value);
    this.node.dataset.stage = stage;
    this.node.classList.toggle("is-done", value >= 100);
    this.message.textContent = message && message !== label ? message : "";
    this.live.textContent = `${label}, ${value}%`;
  }

  fail(text) {
    this.node.classList.add("is-failed");
    this.stage.textContent = text;
    this.live.textContent = text;
  }
}
