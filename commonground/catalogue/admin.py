from django.contrib import admin

from .models import Dataset, IngestJob, Resource, Tag, Theme, Version


class ResourceInline(admin.TabularInline):
    model = Resource
    fields = ["name", "kind", "format", "current_version"]
    readonly_fields = ["current_version"]
    extra = 0


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "state", "private", "restricted", "licence", "modified"]
    list_filter = ["state", "private", "restricted", "organisation", "licence"]
    search_fields = ["title", "name", "notes"]
    inlines = [ResourceInline]


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["resource", "number", "row_count", "created", "created_by"]
    readonly_fields = [f.name for f in Version._meta.fields]


@admin.register(IngestJob)
class IngestJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "resource", "status", "progress", "created"]
    list_filter = ["status"]


admin.site.register(Tag)
admin.site.register(Theme)
