from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "commonground.catalogue"
    verbose_name = "Catalogue and datastore"

    def ready(self):
        from . import registrations

        registrations.register()
