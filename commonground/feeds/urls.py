from django.urls import path, re_path  # the feeds' pages and APIs are added here

from . import datahub, editor_views, key_views, lens_views, pages, pull_views
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

# Editors' pages: add a feed, change its details, its things (one by one or from a sites
# CSV) and datastreams, publish it, delete it (editor_views).
urlpatterns += [
    path("feeds/new", editor_views.feed_new, name="new"),
    path("feeds/<slug:slug>/manage", editor_views.feed_manage, name="manage"),
    path("feeds/<slug:slug>/things", editor_views.thing_add, name="thing_add"),
    path("feeds/<slug:slug>/datastreams", editor_views.datastream_add, name="datastream_add"),
    path("feeds/<slug:slug>/sites", editor_views.sites_upload, name="sites"),
    path("feeds/<slug:slug>/publish", editor_views.feed_publish, name="publish"),
    path("feeds/<slug:slug>/details", editor_views.feed_details, name="details"),
    path("feeds/<slug:slug>/delete", editor_views.feed_delete, name="delete"),
    path("feeds/<slug:slug>/things/<int:thing_id>/retire", editor_views.thing_retire,
         name="thing_retire"),
    path("feeds/<slug:slug>/pull", pull_views.feed_pull, name="pull"),
]

# OGC SensorThings API 1.1 (sta.views): the service root and every resource path under it.
urlpatterns += [
    re_path(r"^sta/v1\.1/(?P<path>.*)$", sta_views.sensorthings, name="sta"),
]

# The MK Data Hub's read API (datahub): old clients' paths, JSON, basic-auth keys.
urlpatterns += [
    path("sensors/feeds/<int:feed_id>", datahub.sensor_feed, name="hub_sensor_feed"),
    path("sensors/feeds/<int:feed_id>/datapoints", datahub.feed_datapoints,
         name="hub_feed_datapoints"),
    path("sensors/feeds/<int:feed_id>/datastreams/<int:stream_id>", datahub.sensor_datastream,
         name="hub_sensor_datastream"),
    path("sensors/feeds/<int:feed_id>/datastreams/<int:stream_id>/datapoints",
         datahub.sensor_datapoints, name="hub_datapoints"),
    path("events/feeds/<int:feed_id>", datahub.event_feed, name="hub_event_feed"),
    path("events/feeds/<int:feed_id>/datastreams/<int:stream_id>", datahub.event_datastream,
         name="hub_event_datastream"),
    path("events/feeds/<int:feed_id>/datastreams/<int:stream_id>/events", datahub.event_events,
         name="hub_events"),
    path("locations/feeds/<int:feed_id>", datahub.location_feed, name="hub_location_feed"),
]

# Reading pages (pages): published feeds, a feed's map and latest values, a datastream's
# chart and downloads.
urlpatterns += [
    path("feeds/", pages.feed_list, name="list"),
    path("feeds/<slug:slug>/", pages.feed_page, name="feed"),
    path("feeds/<slug:slug>/latest.json", pages.latest_json, name="latest"),
    path("feeds/<slug:slug>/datastreams/<int:stream_id>/", pages.datastream_page,
         name="datastream"),
    path("feeds/<slug:slug>/datastreams/<int:stream_id>.csv", pages.datastream_csv,
         name="datastream_csv"),
    path("feeds/<slug:slug>/datastreams/<int:stream_id>.parquet", pages.datastream_parquet,
         name="datastream_parquet"),
]

# Who is sensed (lens_views): a feed's things through the difference lens.
urlpatterns += [
    path("feeds/<slug:slug>/lens/", lens_views.feed_lens_page, name="lens"),
    path("feeds/<slug:slug>/lens.json", lens_views.feed_lens_json, name="lens_json"),
]
