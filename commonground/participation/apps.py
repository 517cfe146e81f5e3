from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "commonground.participation"
    verbose_name = "Who takes part"

    def ready(self):
        from . import registrations

        registrations.register()
