from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "commonground.consultations"
    verbose_name = "Consultations"

    def ready(self):
        from . import registrations

        registrations.register()
