from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "commonground.places"
    verbose_name = "Places"

    def ready(self):
        from . import registrations

        registrations.register()
