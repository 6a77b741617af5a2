"""The portal's pages: the home page, a deep link to one session, and the site's icon."""

from __future__ import annotations

from django.urls import path

from clinical.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.portal, name="home"),
    path("sessions/<uuid:session_id>/", views.portal, name="session"),
    path("favicon.ico", views.favicon, name="favicon"),
]
