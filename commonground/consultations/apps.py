from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "commonground.consultations"
    verbose_name = "Consultations"
