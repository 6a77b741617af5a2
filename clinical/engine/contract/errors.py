"""Errors the clinical engine raises for bad input."""

from __future__ import annotations


class EngineValidationError(ValueError):
    """A request the engine cannot accept.

    ``details`` maps a dotted field path (``vitals.heart_rate``, ``symptoms.2.name``, or
    ``non_field_errors`` for a rule spanning fields) to the messages that explain which rule the
    value broke. The service sends it unchanged as ``validation_error.details``.
    """

    def __init__(self, details: dict[str, list[str]], message: str | None = None) -> None:
        self.details = details
        first_field, first_messages = next(iter(details.items()))
        self.message = message or f"{first_field}: {first_messages[0]}"
        super().__init__(self.message)


class KnowledgeBaseError(Exception):
    """A knowledge-base file that does not load: names the file, the entry and the field."""
