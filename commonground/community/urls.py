from django.urls import path

from . import feeds, group_views, views

app_name = "community"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/support", views.request_support, name="support"),
    path("requests/<int:pk>/answer", views.request_answer, name="answer"),
    path("notifications/", views.notifications, name="notifications"),
    path("groups/", group_views.group_list, name="groups"),
    path("groups/new", group_views.group_new, name="group_new"),
    path("groups/<slug:slug>/", group_views.group_detail, name="group"),
    path("groups/<slug:slug>/members/settings", group_views.join_settings, name="group_settings"),
    path("groups/<slug:slug>/join", group_views.join, name="join"),
    path("groups/<slug:slug>/members", group_views.members, name="members"),
    path("groups/<slug:slug>/members/requests/<int:pk>", group_views.decide, name="decide"),
    path("groups/<slug:slug>/members/<int:pk>/role", group_views.set_role, name="set_role"),
    path("groups/<slug:slug>/members/<int:pk>/remove", group_views.remove, name="remove"),
    path("follow", views.follow, name="follow"),
    path("following/", views.following, name="following"),
    path("follows/<str:kind>/<str:key>/", views.thing_page, name="feed_page"),
    path("feeds/<str:kind>/<str:key>.atom", feeds.AtomEventFeed(), name="feed_atom"),
    path("feeds/<str:kind>/<str:key>.rss", feeds.EventFeed(), name="feed_rss"),
]
