from django.urls import path  # noqa: F401 (the feeds' pages and APIs are added here)

app_name = "feeds"

# Pages under /feeds/; the MK Data Hub's read API at /sensors/, /events/, /locations/;
# OGC SensorThings at /sta/v1.1/.
urlpatterns: list = []
