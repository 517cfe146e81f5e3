from django.urls import path

from . import job_views, key_views, lens_views, read_log_views, version_views, views

app_name = "catalogue"

urlpatterns = [
    path("datasets/", views.dataset_list, name="datasets"),
    path("datasets/new", views.dataset_new, name="dataset_new"),
    path("datasets/<slug:name>/", views.dataset_detail, name="dataset"),
    path("datasets/<slug:name>/edit", views.dataset_edit, name="dataset_edit"),
    path("datasets/<slug:name>/keys/", key_views.dataset_keys, name="keys"),
    path("datasets/<slug:name>/keys/<str:prefix>/revoke", key_views.dataset_key_revoke,
         name="key_revoke"),
    path("datasets/<slug:name>/grants/<int:grant_id>/keys/", key_views.grant_keys,
         name="grant_keys"),
    path("datasets/<slug:name>/grants/<int:grant_id>/keys/<str:prefix>/revoke",
         key_views.grant_key_revoke, name="grant_key_revoke"),
    path("datasets/<slug:name>/reads/", read_log_views.read_log, name="reads"),
    path("datasets/<slug:name>/reads.csv", read_log_views.read_log_csv, name="reads_csv"),
    path("datasets/<slug:name>/lens/", lens_views.lens_page, name="lens"),
    path("datasets/<slug:name>/lens.<str:fmt>", lens_views.lens_export, name="lens_export"),
    path("datasets/<slug:name>/publish", views.dataset_publish, name="dataset_publish"),
    path("datasets/<slug:name>/resources/new", views.resource_new, name="resource_new"),
    path("datasets/<slug:name>/resources/<uuid:resource_id>/", views.resource_detail,
         name="resource"),
    path("datasets/<slug:name>/resources/<uuid:resource_id>/upload", views.resource_upload,
         name="resource_upload"),
    path("datasets/<slug:name>/resources/<uuid:resource_id>/changes", version_views.diff, name="diff"),
    path("datasets/<slug:name>/resources/<uuid:resource_id>/v<int:number>/download.<str:fmt>",
         version_views.download, name="download"),
    path("ingest/<uuid:job_id>/", job_views.job_detail, name="job"),
    path("ingest/<uuid:job_id>/status", job_views.job_status, name="job_status"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("catalog.jsonld", views.catalog_jsonld, name="dcat"),
]
