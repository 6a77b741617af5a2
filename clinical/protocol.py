"""The service's own protocol errors: a message the wire protocol refuses (README, "Errors").

The engine's ``EngineValidationError`` is for clinical requests the engine cannot accept; a frame
that is not an object, a field the protocol does not define, a chat message or a request_id that
breaks the protocol's rules are the service's to refuse. Both reach the client the same way: the
socket answers an error frame and stays open, REST answers 400, with ``code``, ``error`` and
``details`` (a field path mapped to what rule the value broke).
"""

from __future__ import annotations

from typing import Any

from clinical.engine import EngineValidationError


class ProtocolError(Exception):
    """A refused message; ``code`` names the kind of rule (``validation_error``, ...)."""

    def __init__(self, code: str, error: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(error)
        self.code, self.error, self.details = code, error, details


class InvalidMessage(ProtocolError):
    """A ``validation_error``: ``details`` maps each offending field to the rules it broke."""

    def __init__(self, details: dict[str, list[str]]) -> None:
        first_field, first_messages = next(iter(details.items()))
        super().__init__(
            "validation_error", f"Invalid request: {first_field}: {first_messages[0]}", details
        )

    @classmethod
    def of(cls, error: EngineValidationError) -> InvalidMessage:
        """The engine's refusal of a clinical request, as the protocol answers it."""
        refused = cls(error.details)
        refused.error = f"Invalid request: {error.message}"
        return refused
