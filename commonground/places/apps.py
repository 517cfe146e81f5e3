from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "commonground.places"
    verbose_name = "Places"
