from django.urls import path  # noqa: F401 (the register's pages are added here)

app_name = "projects"

# Fixed addresses (/projects/network/, ...) come before /projects/<slug>/;
# models.RESERVED_SLUGS keeps project ids off them.
urlpatterns: list = []
