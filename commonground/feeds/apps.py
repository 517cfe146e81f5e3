from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "commonground.feeds"
    verbose_name = "Live feeds"

    def ready(self):
        from . import registrations

        registrations.register()
