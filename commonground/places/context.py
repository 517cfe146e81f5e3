"""Template context: the package's name on every page (empty before the first load): the
city, the authorities of a shared service, or the country it describes."""

from .models import LoadRun


def city(request) -> dict:
    run = LoadRun.objects.order_by("-started", "-id").only("city_name", "lad_code", "authority_codes").first()
    if run is None:
        return {"city_name": "your city", "city_code": "", "city_codes": []}
    return {"city_name": run.city_name, "city_code": run.lad_code,
            "city_codes": run.authority_codes or [run.lad_code]}
