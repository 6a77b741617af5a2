"""The review UI in the Django admin, for reviewers and admins only.

Sessions are listed with their review state and reviewed on their own page (request and result
laid out for reading, the event timeline, chat, audit trail, reviews and the review form);
sessions, their events, reviews and audit entries are records, never edited or deleted here.
"""

from clinical.admin import records, sessions, users

__all__ = ["records", "sessions", "users"]
