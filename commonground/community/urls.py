from django.urls import path

from . import group_views, views

app_name = "community"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/support", views.request_support, name="support"),
    path("requests/<int:pk>/answer", views.request_answer, name="answer"),
    path("groups/", group_views.group_list, name="groups"),
    path("groups/new", group_views.group_new, name="group_new"),
    path("groups/<slug:slug>/", group_views.group_detail, name="group"),
    path("groups/<slug:slug>/members/settings", group_views.join_settings, name="group_settings"),
    path("groups/<slug:slug>/join", group_views.join, name="join"),
    path("groups/<slug:slug>/members", group_views.members, name="members"),
    path("groups/<slug:slug>/members/requests/<int:pk>", group_views.decide, name="decide"),
    path("groups/<slug:slug>/members/<int:pk>/role", group_views.set_role, name="set_role"),
    path("groups/<slug:slug>/members/<int:pk>/remove", group_views.remove, name="remove"),
]
