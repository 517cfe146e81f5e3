from django.urls import path, re_path  # the feeds' pages and APIs are added here

from . import editor_views, key_views
from .sta import views as sta_views

app_name = "feeds"

# Pages under /feeds/; the MK Data Hub's read API at /sensors/, /events/, /locations/;
# OGC SensorThings at /sta/v1.1/.
urlpatterns: list = []

# Editors' pages: a feed's keys (key_views).
urlpatterns += [
    path("feeds/<slug:slug>/keys", key_views.key_list, name="keys"),
    path("feeds/<slug:slug>/keys/<str:prefix>/revoke", key_views.key_revoke, name="key_revoke"),
]

# Editors' pages: add a feed, its things (one by one or from a sites CSV) and datastreams,
# publish it (editor_views).
urlpatterns += [
    path("feeds/new", editor_views.feed_new, name="new"),
    path("feeds/<slug:slug>/manage", editor_views.feed_manage, name="manage"),
    path("feeds/<slug:slug>/things", editor_views.thing_add, name="thing_add"),
    path("feeds/<slug:slug>/datastreams", editor_views.datastream_add, name="datastream_add"),
    path("feeds/<slug:slug>/sites", editor_views.sites_upload, name="sites"),
    path("feeds/<slug:slug>/publish", editor_views.feed_publish, name="publish"),
]

# OGC SensorThings API 1.1 (sta.views): the service root and every resource path under it.
urlpatterns += [
    re_path(r"^sta/v1\.1/(?P<path>.*)$", sta_views.sensorthings, name="sta"),
]
