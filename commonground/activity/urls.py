from django.urls import path

from . import feeds, views

app_name = "activity"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("follow", views.follow, name="follow"),
    path("following/", views.following, name="following"),
    path("follows/<str:kind>/<str:key>/", views.thing_page, name="feed_page"),
    path("feeds/<str:kind>/<str:key>.atom", feeds.AtomEventFeed(), name="feed_atom"),
    path("feeds/<str:kind>/<str:key>.rss", feeds.EventFeed(), name="feed_rss"),
]
