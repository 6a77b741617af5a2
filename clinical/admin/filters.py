"""List filters on the review state and urgency, which need no query to list their choices."""

from __future__ import annotations

import typing
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from clinical.admin import display
from clinical.engine import Urgency
from clinical.models import Review


class ReviewStateFilter(admin.SimpleListFilter):
    """Reviewed or not, and by the latest verdict (annotated by ``with_review_state``)."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        verdicts = [(value, f"Latest: {label}") for value, label in Review.Verdict.choices]
        return [("no", "Not reviewed"), ("yes", "Reviewed"), *verdicts]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value == "no":
            return queryset.filter(latest_verdict__isnull=True)
        if value == "yes":
            return queryset.filter(latest_verdict__isnull=False)
        if value in Review.Verdict.values:
            return queryset.filter(latest_verdict=value)
        return None


class UrgencyFilter(admin.SimpleListFilter):
    title = "urgency"
    parameter_name = "urgency"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(level, display.urgency_label(level)) for level in typing.get_args(Urgency)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() in typing.get_args(Urgency):
            return queryset.filter(urgency=self.value())
        return None
