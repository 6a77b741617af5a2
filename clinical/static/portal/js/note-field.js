// The form's clinical note: a textarea with a character count. The note is counted as the
// server counts it (characters, that is code points, of the text sent) and sent as the server
// reads it (NFC, trimmed), so the spans the engine returns point into exactly this text.
// Going over the limit is announced once, not on every keystroke.

const numberFormat = new Intl.NumberFormat("en-GB");

/** The note as it is sent: Unicode NFC, without surrounding blank space. */
export function noteText(raw) {
  return String(raw ?? "")
    .normalize("NFC")
    .trim();
}

/** Characters as Python counts them (code points): an emoji is one, not two. */
export function characterCount(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

export function formatCount(value) {
  return numberFormat.format(value);
}

export class NoteField {
  constructor(textarea, counter, live, maxLength) {
    this.textarea = textarea;
    this.counter = counter;
    this.live = live;
    this.maxLength = maxLength;
    this.wasOver = false;
    textarea.addEventListener("input", () => this.update());
    this.update();
  }

  get value() {
    return noteText(this.textarea.value);
  }

  get count() {
    return characterCount(this.value);
  }

  update() {
    const count = this.count;
    const over = count > this.maxLength;
    const limit = formatCount(this.maxLength);
    this.counter.textContent = over
      ? `${formatCount(count)} / ${limit} characters: ${formatCount(count - this.maxLength)} too many`
      : `${formatCount(count)} / ${limit} characters`;
    this.counter.classList.toggle("is-over", over);
    if (over !== this.wasOver) {
      this.live.textContent = over
        ? `The note is over the ${limit}-character limit.`
        : "The note is within the limit again.";
      this.wasOver = over;
    }
  }

  reset() {
    this.textarea.value = "";
    this.wasOver = false;
    this.live.textContent = "";
    this.update();
  }
}
