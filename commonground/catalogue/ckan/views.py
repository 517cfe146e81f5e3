"""HTTP for the CKAN Action API: read the call, find the user, run the action, wrap the answer.

Request data as CKAN reads it (``ckan/views/api.py``): GET query parameters (a repeated
parameter becomes a list); a POST's JSON body; or POST form data (a single form key holding
JSON, as old clients send, is decoded). The caller is the user of a valid API token in the
``Authorization`` (or ``X-CKAN-API-Key``) header, else the browser session's user, else
anonymous; an invalid token counts as anonymous, as in CKAN (:func:`.tokens.caller`). A
multipart POST's files join the data under their field names (``upload``, as ``ckanapi``
sends it).

CSRF: the view is exempt, and checks for itself. Reading actions need no check: a forged
call changes nothing and its answer is not readable cross-origin. An action that changes
data (``changes_data``) is POST only (GET is CKAN's "Please use POST" 400) and, when the
caller is the browser session's user, needs the CSRF token as any form does: a page on
another site could otherwise post as the signed-in person. A call authenticated by a token
header needs none: a browser sends that header only from script the hub's CORS policy
allows (none), and a forged form cannot set it. A refused check is CKAN's 403
``Authorization Error``.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
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


def request_data(request, *, files: bool = False) -> dict:
    """The action's ``data_dict`` (with a multipart body's files when ``files``); ValueError
    when the body is not a JSON object."""
    if request.method == "GET":
        data = _mixed(request.GET)
    elif request.content_type in FORM_TYPES:
        form = request.POST
        if len(form) == 1 and next(iter(form.values())) in ("1", "") and not request.FILES \
                and next(iter(form.keys())).lstrip().startswith("{"):
            # old clients' one form key holding JSON (a plain field such as limit=1 is not)
            try:
                data = json.loads(next(iter(form.keys())))
            except (ValueError, RecursionError) as exc:  # not JSON, or nested too deeply
                raise ValueError(f"Error decoding JSON data. Error: {exc!r}") from None
        else:
            data = _mixed(form)
        refused = getattr(request, "upload_refused", None)
        if refused:  # the upload handler stopped an oversized file
            raise _TooLarge(f"{refused}. Nothing was changed.")
        if files:
            data.update(request.FILES.items())
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


class _TooLarge(Exception):
    pass


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def csrf_problem(request) -> str | None:
    """Why the request fails Django's CSRF check, or None when it passes."""
    return _CsrfCheck(lambda r: None).process_view(request, None, (), {})


def request_user(request):
    return tokens.caller(request).user


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
    writes = getattr(function, "changes_data", False)
    if writes and request.method != "POST":
        return _bad_request("JSON Error: Invalid request. Please use POST method for your "
                            "request")
    who = tokens.caller(request)
    if writes and not who.by_token:
        problem = csrf_problem(request)
        if problem is not None:
            return _finish(403, {**envelope, "success": False, "error": {
                "__type": "Authorization Error", "message": f"Access denied: {problem}. "
                "Send an API token in the Authorization header, or the CSRF token as the "
                "hub's own forms do."}})
    try:
        data = request_data(request, files=writes)
    except _TooLarge as exc:
        return _finish(413, {**envelope, "success": False, "error": {
            "__type": "Validation Error", "upload": [str(exc)]}})
    except ValueError as exc:
        return _bad_request(f"JSON Error: {exc}")
    context = actions.Context(user=who.user, request=request, api_version=ver)
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
