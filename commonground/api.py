"""The JSON API (django-ninja). OpenAPI document at ``/api/openapi.json``, docs at ``/api/docs``."""

from ninja import NinjaAPI

from commonground.places.api import router as places_router
from commonground.places.cache import NotLoaded

api = NinjaAPI(title="Common Ground API", version="1", description=(
    "Places, area profiles and indicators for the city's neighbourhoods. "
    "Errors are JSON objects with a `detail` message."))
api.add_router("/places", places_router)


@api.exception_handler(NotLoaded)
def not_loaded(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=503)
