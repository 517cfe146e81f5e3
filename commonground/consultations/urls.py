from django.urls import path

from . import views

app_name = "consultations"

urlpatterns = [
    path("consultations/", views.consultation_list, name="list"),
    path("consultations/new", views.consultation_new, name="new"),
    path("consultations/reports/", views.report_queue, name="reports"),
    path("consultations/<int:pk>/", views.consultation_detail, name="detail"),
    path("consultations/<int:pk>/edit", views.consultation_edit, name="edit"),
    path("consultations/<int:pk>/close", views.close, name="close"),
    path("consultations/<int:pk>/comment", views.comment, name="comment"),
    path("consultations/<int:pk>/respond", views.respond, name="respond"),
    path("consultations/<int:pk>/comments/<int:comment>/support", views.support,
         name="support"),
    path("consultations/<int:pk>/comments/<int:comment>/report", views.report, name="report"),
    path("consultations/<int:pk>/comments/<int:comment>/moderate", views.moderate,
         name="moderate"),
]
