from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(using="default", **kwargs):
    """Make the database cache's table (rate-limit slots live there) whenever ``migrate`` runs,
    so a new site needs no extra command. Does nothing when the table exists or the cache is
    not the database cache."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "commonground.accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        post_migrate.connect(create_cache_table, sender=self,
                             dispatch_uid="commonground.accounts.create_cache_table")
