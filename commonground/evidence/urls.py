from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("packs/", views.pack_list, name="packs"),
    path("groups/<slug:slug>/packs/new", views.pack_new, name="new"),
    path("packs/<int:pk>/", views.pack_detail, name="pack"),
    path("packs/<int:pk>/pack.json", views.pack_json, name="json"),
    path("packs/<int:pk>/pack.pdf", views.pack_pdf, name="pdf"),
    path("packs/<int:pk>/edit", views.pack_edit, name="edit"),
    path("packs/campaign", views.campaign_to_pack, name="campaign"),
]
