from django.urls import path

from . import feeds, views

app_name = "community"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/support", views.request_support, name="support"),
    path("requests/<int:pk>/answer", views.request_answer, name="answer"),
    path("notifications/", views.notifications, name="notifications"),
    path("follow", views.follow, name="follow"),
    path("following/", views.following, name="following"),
    path("feeds/<str:kind>/<str:key>.atom", feeds.AtomEventFeed(), name="feed_atom"),
    path("feeds/<str:kind>/<str:key>.rss", feeds.EventFeed(), name="feed_rss"),
]
