from django.urls import re_path

from clinical.consumers import StreamConsumer

websocket_urlpatterns = [
    re_path(r"^ws/(?P<user_id>[^/]{1,20})/$", StreamConsumer.as_asgi()),
]
