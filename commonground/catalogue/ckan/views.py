"""HTTP for the CKAN Action API: read the call, find the user, run the action, wrap the answer.

Request data as CKAN reads it (``ckan/views/api.py``): GET query parameters (a repeated
parameter becomes a list); a POST's JSON body; or POST form data (a single form key holding
JSON, as old clients send, is decoded). The caller is the user of a valid API token in the
``Authorization`` (or ``X-CKAN-API-Key``) header, else the browser session's user, else
anonymous; an invalid token counts as anonymous, as in CKAN.

Every action is read-only, so POST is exempt from CSRF checks: a forged POST can change
nothing, and its answer is not readable cross-origin.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import actions, jsonstream, tokens
from .errors import ActionError

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json;charset=utf-8"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _finish(status: int, body) -> HttpResponse | StreamingHttpResponse:
    if jsonstream.contains_encoded(body):
        # A large answer (datastore_search_sql's records): sent in the pieces it was
        # encoded in, never joined into a second copy.
        parts = list(jsonstream.pieces(body))
        response = StreamingHttpResponse(parts, status=status, content_type=CONTENT_TYPE)
        response["Content-Length"] = str(sum(len(part) for part in parts))
        return response
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), status=status,
                        content_type=CONTENT_TYPE)


def _bad_request(message: str) -> HttpResponse:
    # CKAN answers a bare JSON string here, not an envelope.
    return _finish(400, f"Bad request - {message}")


def _mixed(querydict) -> dict:
    """A QueryDict as a dict: one value as itself, repeated values as a list (CKAN's)."""
    return {k: vs[0] if len(vs) == 1 else vs for k, vs in querydict.lists()}


def request_data(request) -> dict:
    """The action's ``data_dict``; ValueError when the body is not a JSON object."""
    if request.method == "GET":
        data = _mixed(request.GET)
    elif request.content_type in FORM_TYPES:
        form = request.POST
        if len(form) == 1 and next(iter(form.values())) in ("1", ""):
            try:
                data = json.loads(next(iter(form.keys())))
            except (ValueError, RecursionError) as exc:  # not JSON, or nested too deeply
                raise ValueError(f"Error decoding JSON data. Error: {exc!r}") from None
        else:
            data = _mixed(form)
    elif request.body:
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as exc:  # not JSON, or nested too deeply
            raise ValueError(f"Error decoding JSON data. Error: {exc!r}") from None
    else:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a "
                         "dictionary.")
    return data


def request_user(request):
    token = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key")
    if token:
        token = token.removeprefix("Bearer ").strip()
        return tokens.user_for_token(token) or AnonymousUser()
    return request.user


@csrf_exempt
def action(request, name: str, ver: int = 3):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    function = actions.ACTIONS.get(name)
    if function is None:
        return _bad_request(f"Action name not known: {name}")
    envelope = {"help": request.build_absolute_uri(
        reverse("ckan:action", kwargs={"name": "help_show"})) + "?"
        + urlencode({"name": name})}
    try:
        data = request_data(request)
    except ValueError as exc:
        return _bad_request(f"JSON Error: {exc}")
    context = actions.Context(user=request_user(request), request=request, api_version=ver)
    try:
        result = function(context, data)
    except ActionError as exc:
        return _finish(exc.status, {**envelope, "success": False, "error": exc.error()})
    except Exception:  # CKAN's catch-all: an envelope, never an HTML page
        log.exception("CKAN action %s failed", name)
        return _finish(500, {**envelope, "success": False, "error": {
            "__type": "Internal Server Error", "message": "Internal Server Error"}})
    return _finish(200, {**envelope, "success": True, "result": result})


def api_version(request, ver: int = 1):
    """``/api`` and ``/api/3``: the API version, as CKAN answers."""
    return _finish(200, {"version": ver})


def util_status(request):
    """``/api/util/status``: CKAN's old status endpoint (the same as ``status_show``)."""
    context = actions.Context(user=request_user(request), request=request)
    return _finish(200, actions.status_show(context, {}))
