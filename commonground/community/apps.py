from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "commonground.community"
    verbose_name = "Community"

    def ready(self):
        from . import registrations

        registrations.register()
