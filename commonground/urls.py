"""Top-level URLs: pages, the JSON API (OpenAPI at /api/docs) and the admin."""

from django.contrib import admin
from django.urls import include, path

from commonground.api import api

urlpatterns = [
    path("", include("commonground.places.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler404 = "commonground.places.views.not_found"
