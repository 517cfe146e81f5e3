from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/support", views.request_support, name="support"),
    path("requests/<int:pk>/answer", views.request_answer, name="answer"),
    path("notifications/", views.notifications, name="notifications"),
]
