"""The review UI in the Django admin, for reviewers and admins only.

Sessions are listed with their review state and reviewed on their own page (request and result
laid out for reading, the event timeline, chat, audit trail, reviews and the review form);
sessions, their events, reviews and audit entries are records, never edited or deleted here.
"""

from django.contrib import admin

from clinical.admin import records, sessions, users

# Django's navigation sidebar takes 300 px of a 1280 px window on every page, for the same few
# models the breadcrumbs and the index list: the session list and a session's page need the width.
admin.site.enable_nav_sidebar = False

__all__ = ["records", "sessions", "users"]
