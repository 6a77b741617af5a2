"""Sessions in the admin: the review list, the session page with its review form, bulk actions."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from clinical import audit, patients
from clinical.admin import display
from clinical.admin.access import ReviewerOnly, is_reviewer
from clinical.admin.export import sessions_csv
from clinical.admin.filters import ReviewStateFilter, UrgencyFilter
from clinical.admin.forms import CONDITIONS_LIST_ID, ReviewForm
from clinical.models import AuditEntry, Review, StreamSession, with_review_state
from clinical.reviews import (
    FOUR_EYES_MESSAGE,
    OwnSessionReview,
    known_conditions,
    record_review,
    started_by,
)

SESSION_TEMPLATE = "admin/clinical/streamsession/review.html"
CONFIRM_TEMPLATE = "admin/clinical/streamsession/confirm_mark_reviewed.html"


@admin.register(StreamSession)
class StreamSessionAdmin(ReviewerOnly, admin.ModelAdmin):
    # Fits 1280 px beside the filters (tests/browser/test_admin_review.py): short headers, cells
    # that wrap between their parts (id and time, kind and status, diagnosis and ICD-10 code).
    list_display = [
        "session",
        "clinician",
        "patient_cell",
        "kind_status",
        "diagnosis",
        "urgency_level",
        "review_state",
    ]
    list_filter = [
        "kind",
        "status",
        UrgencyFilter,
        "created_at",
        ("owner", admin.RelatedOnlyFieldListFilter),
        ReviewStateFilter,
        "engine_version",
    ]
    search_fields = [
        "patient_identifier",
        "primary_diagnosis",
        "icd10",
        "owner__username",
        "owner__first_name",
        "owner__last_name",
    ]
    search_help_text = (
        "Patient identifier (NHS number or local), diagnosis, ICD-10 code, clinician's username "
        "or name, or a session id."
    )
    list_per_page = 100
    ordering = ["-created_at"]
    actions = ["mark_reviewed_agree", "export_csv"]

    class Media:
        css = {"all": ["clinical/admin/session-list.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[StreamSession]:
        return with_review_state(super().get_queryset(request)).select_related("owner")

    def has_review_permission(self, request: HttpRequest) -> bool:
        return is_reviewer(request)

    @admin.display(description="session, created", ordering="created_at")
    def session(self, session: StreamSession) -> str:
        """The id's first 8 characters (a search takes the whole id) and when it was created."""
        created = timezone.localtime(session.created_at).strftime("%Y-%m-%d %H:%M")
        return display.unbroken_parts(f"{str(session.id)[:8]}, {created}", comma=False)

    @admin.display(description="kind, status", ordering="kind")
    def kind_status(self, session: StreamSession) -> str:
        status = session.get_status_display().lower()
        return display.unbroken_parts(f"{session.get_kind_display()}, {status}")

    @admin.display(description="clinician", ordering="owner__username")
    def clinician(self, session: StreamSession) -> str:
        return session.owner.get_full_name() or session.owner.get_username()

    def patient(self, session: StreamSession) -> str:
        return display.patient_label(patients.from_session(session))

    @admin.display(description="patient", ordering="patient_identifier")
    def patient_cell(self, session: StreamSession) -> str:
        """The patient label, wrapping only between the identifier and the birth date."""
        return display.unbroken_parts(self.patient(session))

    @admin.display(description="diagnosis", ordering="primary_diagnosis")
    def diagnosis(self, session: StreamSession) -> str:
        if not session.primary_diagnosis:
            return "—"
        code = f" ({session.icd10})" if session.icd10 else ""
        return f"{session.primary_diagnosis}{code}"

    @admin.display(description="urgency", ordering="urgency")
    def urgency_level(self, session: StreamSession) -> str:
        return display.urgency_label(session.urgency) or "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """The search fields, the session whose id was pasted in, or an NHS number typed with
        its spaces (stored as digits only)."""
        try:
            return queryset.filter(id=uuid.UUID(search_term.strip())), False
        except ValueError:
            pass
        key = patients.search_key(search_term)
        found, duplicates = super().get_search_results(request, queryset, search_term)
        return found | queryset.filter(patient_identifier=key), duplicates

    @admin.display(description="review", ordering="latest_verdict")
    def review_state(self, session: StreamSession) -> str:
        if session.latest_verdict is None:
            return "—"
        return f"{Review.Verdict(session.latest_verdict).label} ({session.latest_reviewer})"

    # The session page: read-only record plus the review form.

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = self.get_object(request, unquote(object_id))
        if session is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method == "POST":
            return self._review(request, session)
        audit.record(
            request.user,
            AuditEntry.Action.VIEWED,
            session,
            AuditEntry.Channel.ADMIN,
            audit.client_address(request.META),
        )
        return self._session_page(request, session, ReviewForm())

    def _review(self, request: HttpRequest, session: StreamSession) -> HttpResponse:
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                record_review(
                    session,
                    request.user,
                    **form.cleaned_data,
                    channel=AuditEntry.Channel.ADMIN,
                    client=audit.client_address(request.META),
                )
            except OwnSessionReview as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                form.show_rule_errors(error)
            else:
                messages.success(request, "Your review is saved.")
                return HttpResponseRedirect(request.path)
        return self._session_page(request, session, form)

    def _session_page(
        self, request: HttpRequest, session: StreamSession, form: ReviewForm
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            **self.session_context(session),
            "opts": self.opts,
            "title": f"{session.get_kind_display()} session {session.id}",
            "subtitle": None,
            "form": form,
            "four_eyes": FOUR_EYES_MESSAGE if started_by(session, request.user) else "",
            "conditions": known_conditions(),
            "conditions_list_id": CONDITIONS_LIST_ID,
            "changelist_url": reverse("admin:clinical_streamsession_changelist"),
        }
        return TemplateResponse(request, SESSION_TEMPLATE, context)

    def session_context(self, session: StreamSession) -> dict[str, Any]:
        """Everything the session page shows, already laid out for reading."""
        events = session.events.order_by("seq")
        is_diagnosis = session.kind == StreamSession.Kind.DIAGNOSIS
        request_view = display.diagnosis_request if is_diagnosis else display.prescription_request
        result_view = display.diagnosis_result if is_diagnosis else display.prescription_result
        return {
            "session": session,
            "clinician": self.clinician(session),
            "patient": self.patient(session),
            "request_view": request_view(session.request or {}),
            "result_view": result_view(session.result) if session.result else None,
            "disclaimer": (session.result or {}).get("disclaimer", ""),
            "urgency_label": display.urgency_label(session.urgency),
            "timeline": [
                {"event": event, "summary": display.frame_summary(event.payload)}
                for event in events
            ],
            "chat": session.chat.select_related("author").order_by("created_at", "id"),
            "audit_trail": session.audit.order_by("at", "id"),
            "reviews": list(session.reviews.select_related("reviewer")),
        }

    # Bulk actions.

    @admin.action(description="Mark as reviewed: agree", permissions=["review"])
    def mark_reviewed_agree(
        self, request: HttpRequest, queryset: QuerySet[StreamSession]
    ) -> HttpResponse | None:
        """Record an "agree" review for each finished session you have not reviewed yet, after a
        confirmation page that lists what will be reviewed and what will be skipped, and why."""
        reviewable, skipped = self._split_for_bulk_review(request, queryset)
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Mark as reviewed: agree",
                "reviewable": reviewable,
                "skipped": skipped,
                "selected": [str(session.pk) for session in queryset],
                "action": "mark_reviewed_agree",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, CONFIRM_TEMPLATE, context)
        client = audit.client_address(request.META)
        channel = AuditEntry.Channel.ADMIN
        for session in reviewable:
            record_review(session, request.user, verdict="agree", channel=channel, client=client)
        self.message_user(request, f"{len(reviewable)} sessions marked as reviewed: agree.")
        if skipped:
            self.message_user(request, f"{len(skipped)} skipped.", messages.WARNING)
        return None

    def _split_for_bulk_review(
        self, request: HttpRequest, queryset: QuerySet[StreamSession]
    ) -> tuple[list[StreamSession], list[tuple[StreamSession, str]]]:
        mine = set(
            Review.objects.filter(session__in=queryset, reviewer=request.user).values_list(
                "session_id", flat=True
            )
        )
        reviewable, skipped = [], []
        for session in queryset:
            if started_by(session, request.user):
                skipped.append((session, "you started it: another reviewer reviews it"))
            elif not session.is_finished:
                skipped.append((session, f"still {session.status}"))
            elif session.id in mine:
                skipped.append((session, "you have already reviewed it"))
            else:
                reviewable.append(session)
        return reviewable, skipped

    @admin.action(description="Export selected sessions as CSV", permissions=["review"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[StreamSession]) -> HttpResponse:
        return sessions_csv(request, queryset)
