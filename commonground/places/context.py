"""Template context: the city's name on every page (empty before the first load)."""

from .models import LoadRun


def city(request) -> dict:
    run = LoadRun.objects.order_by("-started", "-id").only("city_name", "lad_code").first()
    return {"city_name": run.city_name if run else "your city", "city_code": run.lad_code if run else ""}
