from django.urls import path  # noqa: F401 (the feeds' pages and APIs are added here)

from . import key_views

app_name = "feeds"

# Pages under /feeds/; the MK Data Hub's read API at /sensors/, /events/, /locations/;
# OGC SensorThings at /sta/v1.1/.
urlpatterns: list = []

# Editors' pages: a feed's keys (key_views).
urlpatterns += [
    path("feeds/<slug:slug>/keys", key_views.key_list, name="keys"),
    path("feeds/<slug:slug>/keys/<str:prefix>/revoke", key_views.key_revoke, name="key_revoke"),
]
