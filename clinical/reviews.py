"""Recording a review: one function for every door (the admin and REST), as ``clinical.audit``.

A corrected diagnosis must be a condition the knowledge base knows, named by its ICD-10 code, so
a reviewer's correction can be compared with what the engine proposed and fed back into it. The
knowledge base's name for the code is stored beside it.

Four eyes: a review is a second clinician's look at a session, so nobody reviews a session they
started (:func:`check_four_eyes`, refused at every door before anything is validated or stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clinical import audit
from clinical.engine import knowledge_base
from clinical.models import AuditEntry, Review, StreamSession

MAX_COMMENT_CHARS = 5000
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class KnownCondition:
    icd10: str
    name: str


def known_conditions() -> list[KnownCondition]:
    """Every knowledge-base condition, by ICD-10 code (for pickers and validation)."""
    conditions = knowledge_base().conditions.values()
    return sorted((KnownCondition(c.icd10, c.name) for c in conditions), key=lambda c: c.icd10)


def _suggestions(code: str, conditions: list[KnownCondition]) -> list[KnownCondition]:
    """Conditions in the same ICD-10 category (``J18`` for ``J18.1``), else the same chapter."""
    for prefix in (code[:3], code[:1]):
        close = [c for c in conditions if prefix and c.icd10.startswith(prefix)]
        if close:
            return close[:MAX_SUGGESTIONS]
    return []


def corrected_condition(raw_code: str) -> KnownCondition:
    """The knowledge-base condition with this ICD-10 code, or an error naming close ones."""
    code = raw_code.strip().upper()
    conditions = known_conditions()
    for condition in conditions:
        if condition.icd10 == code:
            return condition
    close = _suggestions(code, conditions)
    hint = (
        "Close ones: " + ", ".join(f"{c.icd10} {c.name}" for c in close) + "."
        if close
        else "Pick a code from the knowledge base's conditions (/api/kb/conditions/)."
    )
    raise ValidationError(
        {
            "corrected_icd10": [
                f"{raw_code.strip()!r} is not the ICD-10 code of any condition in the knowledge "
                f"base. {hint}"
            ]
        }
    )


class OwnSessionReview(PermissionDenied):
    """A reviewer tried to review a session they started (REST: 403 ``forbidden``)."""


FOUR_EYES_MESSAGE = (
    "You started this session, so you cannot review it: a review is another reviewer's "
    "second look (four eyes)."
)


def started_by(session: StreamSession, user: Any) -> bool:
    return session.owner_id == user.pk


def check_four_eyes(session: StreamSession, reviewer: Any) -> None:
    """Refuse a review of a session by the user who started it."""
    if started_by(session, reviewer):
        raise OwnSessionReview(FOUR_EYES_MESSAGE)


def _check_reviewable(session: StreamSession) -> None:
    if not session.is_finished:
        raise ValidationError(
            {"session": [f"This session is {session.status}: review it once it has finished."]}
        )


def _check_verdict(verdict: str, corrected: KnownCondition | None, comment: str) -> None:
    if verdict not in Review.Verdict.values:
        choices = ", ".join(Review.Verdict.values)
        raise ValidationError({"verdict": [f"{verdict!r} is not a verdict: use one of {choices}."]})
    if verdict == Review.Verdict.AGREE and corrected is not None:
        raise ValidationError(
            {"corrected_icd10": ["Leave the corrected diagnosis empty when you agree."]}
        )
    if verdict == Review.Verdict.DISAGREE and corrected is None and not comment:
        raise ValidationError(
            {"comment": ["Say why you disagree: give a corrected diagnosis or a comment."]}
        )


def _check_comment(comment: str) -> None:
    if len(comment) > MAX_COMMENT_CHARS:
        raise ValidationError(
            {"comment": [f"must be at most {MAX_COMMENT_CHARS} characters ({len(comment)} given)"]}
        )


def validate_review(
    session: StreamSession, verdict: str, corrected_icd10: str, comment: str
) -> KnownCondition | None:
    """Check a review before it is written; returns the corrected condition, if any."""
    _check_reviewable(session)
    comment = comment.strip()
    _check_comment(comment)
    corrected = corrected_condition(corrected_icd10) if corrected_icd10.strip() else None
    _check_verdict(verdict, corrected, comment)
    if corrected is not None and corrected.icd10 == session.icd10:
        raise ValidationError(
            {
                "corrected_icd10": [
                    f"{corrected.icd10} is the session's own diagnosis: choose agree, or "
                    "another condition."
                ]
            }
        )
    return corrected


def record_review(
    session: StreamSession,
    reviewer: Any,
    *,
    verdict: str,
    corrected_icd10: str = "",
    comment: str = "",
    channel: str,
    client: str = "",
) -> Review:
    """Validate, store the review and its "reviewed" audit entry together (or neither).

    Raises :class:`OwnSessionReview` when ``reviewer`` started the session, ``ValidationError``
    for a review that breaks a rule."""
    check_four_eyes(session, reviewer)
    corrected = validate_review(session, verdict, corrected_icd10, comment)
    with transaction.atomic():
        review = Review.objects.create(
            session=session,
            reviewer=reviewer,
            verdict=verdict,
            corrected_icd10=corrected.icd10 if corrected else "",
            corrected_diagnosis=corrected.name if corrected else "",
            comment=comment.strip(),
        )
        audit.record(reviewer, AuditEntry.Action.REVIEWED, session, channel, client)
    return review
