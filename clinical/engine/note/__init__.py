"""Reading a free-text note: findings with ConText, measurements, history, allergies.

:func:`read_note` reads a note into a :class:`NoteReading`; :func:`extracted` is what the wire
sends of it, told by :class:`Used` which items a diagnosis took.
"""

from clinical.engine.note.reader import read_note
from clinical.engine.note.reading import Mention, NoteReading, Used
from clinical.engine.note.report import extracted

__all__ = ["Mention", "NoteReading", "Used", "extracted", "read_note"]
