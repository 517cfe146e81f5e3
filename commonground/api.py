"""The JSON API (django-ninja). OpenAPI document at ``/api/openapi.json``, docs at ``/api/docs``."""

import json

from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.docs import Swagger, _csrf_needed

from commonground.apierrors import describe
from commonground.catalogue.api import router as catalogue_router
from commonground.catalogue.api_upload import router as catalogue_upload_router
from commonground.community.api import router as community_router
from commonground.consultations.api import router as consultations_router
from commonground.energy.api import router as energy_router
from commonground.energy.offers_api import router as offers_router
from commonground.evidence.api import router as evidence_router
from commonground.feeds.api import router as feeds_read_router
from commonground.feeds.push_api import router as feeds_router
from commonground.me_api import router as me_router
from commonground.participation.api import router as participation_router
from commonground.places.api import router as places_router
from commonground.places.cache import NotLoaded
from commonground.projects.api import router as projects_router


class LocalSwagger(Swagger):
    """Swagger UI from ninja's own template and static files (settings: ``NINJA_DIR``), never a
    CDN's. ninja picks its CDN page unless "ninja" is an installed app, which it is not: its
    import at set-up would slow every command."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, self.template, {
            "swagger_settings": json.dumps(self.settings, indent=1), "api": api,
            "add_csrf": _csrf_needed(api)})


api = NinjaAPI(docs=LocalSwagger(), title="Common Ground API", version="1", description=(
    "Places, area profiles and indicators for the city's neighbourhoods; the catalogue of "
    "datasets, their versions, rows and difference lens; rooftop solar estimates; the city's smart-city projects; live feeds (reading them, and pushing observations); data requests, groups, consultations, evidence packs, energy offers, and the signed-in person's follows and notifications (an API token as `Authorization: Bearer <token>`, or the browser session with its CSRF token in `X-CSRFToken` for changes; lists take `limit` and `offset` and say their `total`). A CKAN-compatible Action API is at /api/3/action/. "
    "Errors are JSON objects with a `detail` message that says what is wrong and where; "
    "a request that does not fit this document answers 422 with `errors` as well, one per "
    "problem."))
api.add_router("/places", places_router)
api.add_router("/catalogue", catalogue_router)
api.add_router("/catalogue", catalogue_upload_router)  # uploads with a write key
api.add_router("/energy", energy_router)
api.add_router("/projects", projects_router)
api.add_router("/feeds", feeds_router)
api.add_router("/feeds", feeds_read_router)  # feeds, things, observations (access.py)
# The parts of the hub that know people (who calls, CSRF: commonground/apiauth.py)
api.add_router("/energy", offers_router)  # offers, and their registrations for the offerer
api.add_router("/community", community_router)  # data requests and groups
api.add_router("/consultations", consultations_router)
api.add_router("/evidence", evidence_router)
api.add_router("/me", me_router)  # the caller's follows and notifications
api.add_router("/participation", participation_router)  # who takes part, suppressed


@api.exception_handler(NotLoaded)
def not_loaded(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=503)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    """A request that does not fit the document: 422, ``detail`` naming every problem."""
    return api.create_response(request, {"detail": describe(exc.errors), "errors": exc.errors},
                               status=422)
