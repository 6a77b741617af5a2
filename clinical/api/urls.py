from django.urls import path

from clinical.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("ws-tickets/", views.TicketView.as_view(), name="api-ws-tickets"),
    path("sessions/", views.SessionList.as_view(), name="api-sessions"),
    path("sessions/<uuid:pk>/", views.SessionDetail.as_view(), name="api-session"),
    path("sessions/<uuid:pk>/events/", views.SessionEvents.as_view(), name="api-session-events"),
]
