"""The JSON API (django-ninja). OpenAPI document at ``/api/openapi.json``, docs at ``/api/docs``."""

from ninja import NinjaAPI

from commonground.catalogue.api import router as catalogue_router
from commonground.energy.api import router as energy_router
from commonground.places.api import router as places_router
from commonground.places.cache import NotLoaded

api = NinjaAPI(title="Common Ground API", version="1", description=(
    "Places, area profiles and indicators for the city's neighbourhoods; the catalogue of "
    "datasets, their versions, rows and difference lens; rooftop solar estimates. A CKAN-compatible Action API is at /api/3/action/. "
    "Errors are JSON objects with a `detail` message."))
api.add_router("/places", places_router)
api.add_router("/catalogue", catalogue_router)
api.add_router("/energy", energy_router)


@api.exception_handler(NotLoaded)
def not_loaded(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=503)
