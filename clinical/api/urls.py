from django.urls import path

from clinical.api import knowledge, views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("ws-tickets/", views.TicketView.as_view(), name="api-ws-tickets"),
    path("sessions/", views.SessionList.as_view(), name="api-sessions"),
    path("sessions/<uuid:pk>/", views.SessionDetail.as_view(), name="api-session"),
    path("sessions/<uuid:pk>/events/", views.SessionEvents.as_view(), name="api-session-events"),
    path("sessions/<uuid:pk>/chat/", views.SessionChat.as_view(), name="api-session-chat"),
    path("chat/team/", views.TeamChat.as_view(), name="api-team-chat"),
    path("kb/findings/", knowledge.FindingList.as_view(), name="api-kb-findings"),
    path("kb/conditions/", knowledge.ConditionList.as_view(), name="api-kb-conditions"),
    path("kb/drugs/", knowledge.DrugList.as_view(), name="api-kb-drugs"),
    path("kb/allergy-groups/", knowledge.AllergyGroupList.as_view(), name="api-kb-allergy-groups"),
]
