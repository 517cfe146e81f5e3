from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "commonground.activity"
    label = "activity"
    verbose_name = "Follows, events and notifications"
