from django.urls import path  # noqa: F401 (the register's pages are added here)

from . import network_views

app_name = "projects"

# Fixed addresses (/projects/network/, ...) come before /projects/<slug>/;
# models.RESERVED_SLUGS keeps project ids off them.
urlpatterns: list = [
    path("projects/network/", network_views.network_page, name="network"),
    path("projects/network.json", network_views.network_json, name="network_json"),
    path("projects/network.csv", network_views.network_csv, name="network_csv"),
    path("projects/organisations/<slug:slug>/", network_views.organisation_page,
         name="organisation"),
    path("projects/organisations/<slug:slug>.json", network_views.organisation_json,
         name="organisation_json"),
]
