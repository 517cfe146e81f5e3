from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "commonground.evidence"
    verbose_name = "Evidence packs"

    def ready(self):
        from . import registrations

        registrations.register()
