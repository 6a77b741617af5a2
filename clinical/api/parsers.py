"""REST bodies parsed by the socket's JSON codec (orjson): deep nesting, NaN and Infinity are a
400, not a RecursionError and a 500 as with the standard library's parser."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from clinical import wire


class ProtocolJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return wire.decode(stream.read())
        except wire.InvalidJson as error:
            raise ParseError(f"The body is not valid JSON: {error}") from None
