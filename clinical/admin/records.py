"""The records around sessions, read-only: audit entries, reviews and chat. Care teams are the
one thing the admin role edits here."""

from __future__ import annotations

import uuid

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from clinical.admin.access import ReviewerOnly
from clinical.models import AuditEntry, CareTeam, ChatMessage, Review


def session_link(session_id: uuid.UUID | None) -> str:
    if session_id is None:
        return "—"
    url = reverse("admin:clinical_streamsession_change", args=[session_id])
    return format_html('<a href="{}">{}</a>', url, str(session_id)[:8])


class SearchBySessionId:
    """A pasted session id finds that session's rows; anything else uses the search fields."""

    session_id_field = "session_id"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        try:
            wanted = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(**{self.session_id_field: wanted}), False


@admin.register(AuditEntry)
class AuditEntryAdmin(SearchBySessionId, ReviewerOnly, admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "channel", "session", "client"]
    list_filter = ["action", "channel", "at"]
    search_fields = ["actor_name", "client"]
    search_help_text = "Who (username), client address, or a session id."
    session_id_field = "session_ref"
    list_per_page = 100

    @admin.display(description="session")
    def session(self, entry: AuditEntry) -> str:
        return session_link(entry.session_ref)


@admin.register(Review)
class ReviewAdmin(SearchBySessionId, ReviewerOnly, admin.ModelAdmin):
    list_display = [
        "reviewed_at",
        "reviewer",
        "verdict",
        "corrected_icd10",
        "corrected_diagnosis",
        "session_page",
    ]
    list_filter = ["verdict", "reviewed_at", ("reviewer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["reviewer__username", "corrected_icd10", "corrected_diagnosis", "comment"]
    list_select_related = ["reviewer"]
    list_per_page = 100

    @admin.display(description="session")
    def session_page(self, review: Review) -> str:
        return session_link(review.session_id)


@admin.register(ChatMessage)
class ChatMessageAdmin(ReviewerOnly, admin.ModelAdmin):
    list_display = ["created_at", "room", "author", "text"]
    list_filter = ["room", "created_at"]
    search_fields = ["text", "author__username"]
    list_select_related = ["author"]
    list_per_page = 100


admin.site.register(CareTeam)
