from django.contrib import admin

from .models import Area, DataSource, Indicator, LoadRun


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "role", "geography", "licence_name"]
    list_filter = ["role", "geography"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "friendly_name", "geography"]
    list_filter = ["geography"]
    search_fields = ["code", "name", "friendly_name"]
    exclude = ["geometry_wkb"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "kind", "unit", "polarity"]
    list_filter = ["kind", "polarity", "source"]
    search_fields = ["key", "label"]


@admin.register(LoadRun)
class LoadRunAdmin(admin.ModelAdmin):
    list_display = ["started", "city_name", "data_dir", "base_geography"]
