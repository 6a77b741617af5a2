"""Limit/offset pages whose parameters are checked: a bad ``limit`` or ``offset`` is a 400 naming
the parameter, where DRF's own pagination quietly falls back to its defaults.

A ``limit`` above the maximum still gives the maximum (documented as "at most"), as in DRF.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

_WHOLE_NUMBER = re.compile(r"[0-9]+")
_HUGE = 10**18  # what longer numbers count as (int() refuses over 4,300 digits)


def _whole_number(request: Request, name: str, minimum: int) -> int | None:
    """The query parameter ``name`` as an int of at least ``minimum``, or None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    # Python's int() also takes "+5", " 5" and "5_0"; a page parameter is plain digits.
    value = (int(raw) if len(raw) <= 18 else _HUGE) if _WHOLE_NUMBER.fullmatch(raw) else None
    if value is None or value < minimum:
        raise ValidationError({name: [f"must be a whole number of at least {minimum}"]})
    return value


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    """``limit`` (at least 1, at most ``max_limit``) and ``offset`` (at least 0), or a 400."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        # DRF counts the rows before it reads the offset: check both before any query.
        self.get_limit(request)
        self.get_offset(request)
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request: Request) -> int | None:
        limit = _whole_number(request, self.limit_query_param, minimum=1)
        if limit is None:
            return self.default_limit
        return min(limit, self.max_limit) if self.max_limit else limit

    def get_offset(self, request: Request) -> int:
        offset = _whole_number(request, self.offset_query_param, minimum=0)
        return 0 if offset is None else offset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"]["minimum"] = 1
                most = self.max_limit
                cap = f"; more than {most} gives {most}" if most else ""
                parameter["description"] = f"Results per page (default {self.default_limit}{cap})."
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"]["minimum"] = 0
        return parameters
