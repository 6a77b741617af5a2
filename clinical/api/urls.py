from django.urls import path

from clinical.api import fhir, knowledge, notes, reviews, streams, tokens, views

# Session ids are matched as any segment and parsed by the view, so a malformed id is a JSON
# 404 in the protocol's shape, like an unknown one, rather than Django's HTML page.
urlpatterns = [
    path("auth/token/", tokens.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", tokens.TokenList.as_view(), name="api-tokens"),
    path("auth/tokens/<str:token_id>/", tokens.TokenRevoke.as_view(), name="api-token-revoke"),
    path("ws-tickets/", views.TicketView.as_view(), name="api-ws-tickets"),
    path("sessions/", views.SessionList.as_view(), name="api-sessions"),
    path(
        "sessions/diagnosis/",
        streams.DiagnosisStartView.as_view(),
        name="api-start-diagnosis",
    ),
    path(
        "sessions/prescription/",
        streams.PrescriptionStartView.as_view(),
        name="api-start-prescription",
    ),
    path("sessions/<str:pk>/", views.SessionDetail.as_view(), name="api-session"),
    path("sessions/<str:pk>/events/", views.SessionEvents.as_view(), name="api-session-events"),
    path("sessions/<str:pk>/chat/", views.SessionChat.as_view(), name="api-session-chat"),
    path(
        "sessions/<str:pk>/reviews/", reviews.SessionReviews.as_view(), name="api-session-reviews"
    ),
    path("sessions/<str:pk>/fhir/", fhir.SessionFhirExport.as_view(), name="api-session-fhir"),
    path("notes/read/", notes.NoteReadView.as_view(), name="api-notes-read"),
    path("chat/team/", views.TeamChat.as_view(), name="api-team-chat"),
    path("kb/findings/", knowledge.FindingList.as_view(), name="api-kb-findings"),
    path("kb/conditions/", knowledge.ConditionList.as_view(), name="api-kb-conditions"),
    path("kb/drugs/", knowledge.DrugList.as_view(), name="api-kb-drugs"),
    path("kb/allergy-groups/", knowledge.AllergyGroupList.as_view(), name="api-kb-allergy-groups"),
]
