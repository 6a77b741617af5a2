"""Linear-time scanning for names written before a cue ("penicillin allergy", "zopiclone 7.5 mg").

A pattern such as ``\\b[\\w-]+\\s+allergy`` is quadratic on ``"a-" * 5000``: every hyphen makes a
word boundary, and from each one the name runs to the end of the hyphenated run before it
fails. The name can only succeed as the whole tail of a run (a space must follow it), and every
start within one run sees the same text after it, so only a run's first possible start needs
trying: the patterns here begin with a lookbehind that refuses a start inside a run. One case
remains, a match that ended inside a run ("allergy-" followed by more): the next match may start
exactly there, which ``resume`` (the pattern without the lookbehind) tries, anchored, before
searching on. Each run is then scanned a bounded number of times: linear in the note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


def run_matches(
    pattern: re.Pattern[str], resume: re.Pattern[str], note: str, inside: str = "-"
) -> Iterator[re.Match[str]]:
    """The matches ``re.finditer`` of the unrestricted pattern would give, in order.

    ``pattern`` starts only at a run's first possible start; ``resume`` is tried where the last
    match ended on a character of ``inside`` (within a run)."""
    position = 0
    while True:
        match = None
        if position and note[position : position + 1] in inside:
            match = resume.match(note, position)
        match = match or pattern.search(note, position)
        if match is None:
            return
        yield match
        position = match.end()
