"""CKAN API routes, included under ``api/``: ``api/3/action/<name>``, ``api/action/<name>``."""

from django.urls import path

from . import views

app_name = "ckan"

urlpatterns = [
    path("3/action/<str:name>", views.action, {"ver": 3}, name="action"),
    path("action/<str:name>", views.action, name="action_unversioned"),
    path("3", views.api_version, {"ver": 3}, name="version"),
    path("util/status", views.util_status, name="util_status"),
]
