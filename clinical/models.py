"""Stream sessions, their events, care-team chat and WebSocket tickets.

The database is the record of every stream: events are stored before (or as) they are sent, with
``seq`` unique per session, so any worker can replay a session to a client that reconnects.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from clinical.engine import MAX_REQUEST_ID_CHARS
from clinical.wire import FrameEncoder


class CareTeam(models.Model):
    """Clinicians who share a chat room; a session's own room is its owner's and reviewers'."""

    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="care_teams")

    def __str__(self) -> str:
        return self.name


class StreamSession(models.Model):
    class Kind(models.TextChoices):
        DIAGNOSIS = "diagnosis"
        PRESCRIPTION = "prescription"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stream_sessions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    request = models.JSONField(help_text="The validated request, as the engine received it.")
    request_id = models.CharField(max_length=MAX_REQUEST_ID_CHARS, blank=True)
    result = models.JSONField(null=True, blank=True)
    engine_version = models.CharField(max_length=64)
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
        help_text="The diagnosis session a prescription follows.",
    )
    patient_identifier = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="An NHS number (digits only) or a local identifier; empty: none given.",
    )
    patient_identifier_system = models.CharField(
        max_length=16, blank=True, choices=[("nhs_number", "NHS number"), ("local", "Local")]
    )
    patient_birth_date = models.DateField(null=True, blank=True)
    patient_anonymous = models.BooleanField(
        default=False, help_text="The clinician stated the session is about nobody named."
    )
    primary_diagnosis = models.CharField(max_length=200, blank=True)
    icd10 = models.CharField("ICD-10", max_length=16, blank=True)
    urgency = models.CharField(max_length=16, blank=True)
    last_seq = models.IntegerField(default=-1, help_text="Highest stored event seq.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker_id = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    takeovers = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
        ]
        permissions = [("review_streamsession", "Can review any clinician's stream sessions")]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class FrameField(models.JSONField):
    """A stored frame: JSON, encoded once by the run (``FrameEncoder``).

    Having ``get_placeholder`` keeps Django's PostgreSQL bulk insert from packing a batch into
    arrays for ``UNNEST``: psycopg quotes a text array element by element with a regular
    expression, which for kilobyte-sized frames took most of a worker's CPU. Rows go as one
    multi-row ``VALUES`` with one parameter per value instead.
    """

    def get_placeholder(self, value, compiler, connection) -> str:
        return "%s"


class StreamEvent(models.Model):
    """One server-to-client frame of a session, exactly as it was sent."""

    session = models.ForeignKey(StreamSession, on_delete=models.CASCADE, related_name="events")
    seq = models.IntegerField()
    type = models.CharField(max_length=20)
    stage = models.CharField(max_length=40, blank=True)
    payload = FrameField(encoder=FrameEncoder)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="unique_event_seq_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.type}"


class ChatMessage(models.Model):
    """A care-team chat message, in a session's room or a team's room."""

    room = models.CharField(max_length=80)
    session = models.ForeignKey(
        StreamSession, null=True, blank=True, on_delete=models.CASCADE, related_name="chat"
    )
    team = models.ForeignKey(
        CareTeam, null=True, blank=True, on_delete=models.CASCADE, related_name="chat"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["room", "created_at"])]

    def __str__(self) -> str:
        return f"{self.room} {self.author_id} {self.created_at:%Y-%m-%d %H:%M}"


class WsTicket(models.Model):
    """A one-time, short-lived ticket an API client exchanges for a WebSocket connection.

    Only the SHA-256 of the ticket is stored, so a database read does not yield usable tickets.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ticket for {self.user_id} until {self.expires_at:%H:%M:%S}"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk ``update()`` and ``delete()`` refused, as ``save`` and ``delete`` are on a row."""

    def update(self, **kwargs):
        raise PermissionError("audit entries are append-only")

    def delete(self):
        raise PermissionError("audit entries are append-only")


class AuditEntry(models.Model):
    """Who did what to which session, from where and when. Append-only.

    Rows are written once by :func:`clinical.audit.record` and never changed: ``save`` refuses an
    update and ``delete`` refuses outright; the admin shows them read-only.
    """

    class Action(models.TextChoices):
        STARTED = "started"
        VIEWED = "viewed"
        RESUMED = "resumed"
        CANCELLED = "cancelled"
        REVIEWED = "reviewed"
        EXPORTED = "exported"

    class Channel(models.TextChoices):
        WEBSOCKET = "websocket"
        REST = "rest"
        ADMIN = "admin"
        PORTAL = "portal"

    objects = AppendOnlyQuerySet.as_manager()

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept if the user is deleted.")
    action = models.CharField(max_length=16, choices=Action.choices)
    session = models.ForeignKey(
        StreamSession, null=True, on_delete=models.SET_NULL, related_name="audit"
    )
    session_ref = models.UUIDField(null=True, help_text="Kept if the session is deleted.")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    client = models.CharField(max_length=64, blank=True, help_text="Client IP address.")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["session_ref", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.session_ref}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class Review(models.Model):
    """A senior clinician's verdict on a finished session. Append-only, like the audit log.

    Reviews form a history rather than one row per reviewer and session: a verdict is a signed
    clinical statement, so changing one's mind (a "needs follow-up" later settled, a second
    opinion) adds a review instead of rewriting the first, and the session's review state is its
    latest review. Written by :func:`clinical.reviews.record_review`, which validates the
    corrected diagnosis against the knowledge base and writes the audit entry.
    """

    class Verdict(models.TextChoices):
        AGREE = "agree", "Agree"
        DISAGREE = "disagree", "Disagree"
        NEEDS_FOLLOW_UP = "needs_follow_up", "Needs follow-up"

    session = models.ForeignKey(StreamSession, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    corrected_icd10 = models.CharField(
        "corrected ICD-10",
        max_length=16,
        blank=True,
        help_text="The ICD-10 code of a knowledge-base condition.",
    )
    corrected_diagnosis = models.CharField(
        max_length=200, blank=True, help_text="The knowledge base's name for the corrected code."
    )
    comment = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["session", "-reviewed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=["agree", "disagree", "needs_follow_up"]),
                name="review_verdict_is_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict="agree", corrected_icd10__gt=""),
                name="review_agree_has_no_correction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} by {self.reviewer_id} on {self.session_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("reviews are append-only: add a new review instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("reviews are append-only")


def with_review_state(sessions: models.QuerySet[StreamSession]) -> models.QuerySet[StreamSession]:
    """Sessions annotated with their latest review (``latest_verdict``, ``latest_reviewed_at``,
    ``latest_reviewer``), in one query, so lists of sessions show their review state without N+1.
    """
    latest = Review.objects.filter(session=models.OuterRef("pk")).order_by("-reviewed_at", "-id")
    return sessions.annotate(
        latest_verdict=models.Subquery(latest.values("verdict")[:1]),
        latest_reviewed_at=models.Subquery(latest.values("reviewed_at")[:1]),
        latest_reviewer=models.Subquery(latest.values("reviewer__username")[:1]),
    )
