from django.urls import path  # noqa: F401 (the register's pages are added here)

from . import assessment_views, footprint_views, import_views, network_views, register_views

app_name = "projects"

# Fixed addresses (/projects/network/, ...) come before /projects/<slug>/;
# models.RESERVED_SLUGS keeps project ids off them.
urlpatterns: list = [
    path("projects/", register_views.project_list, name="list"),
    path("projects/projects.json", register_views.projects_json, name="list_json"),
    path("projects/projects.csv", register_views.projects_csv, name="list_csv"),
    path("projects/new", register_views.project_new, name="new"),
    path("projects/import", import_views.import_page, name="import"),
    path("projects/register.json", import_views.register_json, name="register_json"),
    path("projects/register.csv", import_views.register_csv, name="register_csv"),
    path("projects/register.zip", import_views.register_zip, name="register_zip"),
    path("projects/network/", network_views.network_page, name="network"),
    path("projects/network.json", network_views.network_json, name="network_json"),
    path("projects/network.csv", network_views.network_csv, name="network_csv"),
    path("projects/organisations/<slug:slug>/", network_views.organisation_page,
         name="organisation"),
    path("projects/organisations/<slug:slug>.json", network_views.organisation_json,
         name="organisation_json"),
    path("projects/organisations/<slug:slug>.csv", network_views.organisation_csv,
         name="organisation_csv"),
]

# A project's own addresses come last, after every fixed address above.
urlpatterns += [
    path("projects/<slug:slug>/", register_views.project_detail, name="project"),
    path("projects/<slug:slug>/project.json", register_views.project_json, name="project_json"),
    path("projects/<slug:slug>/edit", register_views.project_edit, name="edit"),
    path("projects/<slug:slug>/publish", register_views.project_publish, name="publish"),
    path("projects/<slug:slug>/links", register_views.project_link, name="link"),
]

# A project's impact assessments (assessment_views).
urlpatterns += [
    path("projects/<slug:slug>/assessments/", assessment_views.assessment_list,
         name="assessments"),
    path("projects/<slug:slug>/assessments.json", assessment_views.assessment_list_json,
         name="assessments_json"),
    path("projects/<slug:slug>/assessments.csv", assessment_views.assessment_list_csv,
         name="assessments_csv"),
    path("projects/<slug:slug>/assessments/draft/", assessment_views.assessment_draft,
         name="assessment_draft"),
    path("projects/<slug:slug>/assessments/<int:version>/",
         assessment_views.assessment_detail, name="assessment"),
    path("projects/<slug:slug>/assessments/<int:version>/assessment.json",
         assessment_views.assessment_json, name="assessment_json"),
    path("projects/<slug:slug>/assessments/<int:version>/assessment.pdf",
         assessment_views.assessment_pdf_view, name="assessment_pdf"),
    path("projects/<slug:slug>/atrs.json", assessment_views.atrs_json, name="atrs"),
]

# A project's footprint and who it reaches (footprint_views).
urlpatterns += [
    path("projects/<slug:slug>/footprint", footprint_views.footprint_page, name="footprint"),
    path("projects/<slug:slug>/lens.json", footprint_views.lens_export, {"fmt": "json"},
         name="lens_json"),
    path("projects/<slug:slug>/lens.csv", footprint_views.lens_export, {"fmt": "csv"},
         name="lens_csv"),
]
