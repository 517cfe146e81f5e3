from django.apps import AppConfig


class EnergyConfig(AppConfig):
    name = "commonground.energy"
    verbose_name = "Community energy"

    def ready(self):
        from . import registrations

        registrations.register()
