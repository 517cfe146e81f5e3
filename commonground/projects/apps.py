from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "commonground.projects"
    verbose_name = "Smart-city projects"

    def ready(self):
        from . import registrations

        registrations.register()
