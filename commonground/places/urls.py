from django.urls import path

from . import views

app_name = "places"

urlpatterns = [
    path("", views.home, name="home"),
    path("places/search", views.search_page, name="search"),
    path("places/lookup", views.lookup_page, name="lookup"),
    path("places/data", views.data_page, name="data"),
    path("places/<slug:geography>/<str:code>/", views.area_page, name="area"),
]
