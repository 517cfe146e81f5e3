"""Who calls the JSON API, for the parts of the hub that know people: data requests,
consultations, groups, evidence packs, follows, notifications and energy offers.

A caller is the person of an API token (``Authorization: Bearer <token>``, made and revoked on
their tokens page, ``accounts.tokens``), else the person signed in to the browser session, else
anonymous. A token header that is sent but is unknown, revoked or expired, or whose account is
inactive, is a 401: never the session beside it. The token carries no rights of its own: every
call is checked against the person's memberships at that moment by the apps' ``access`` rules,
exactly as their pages are.

CSRF: anything that changes data, done by the session's person, needs the CSRF token as the
hub's own forms do (the ``csrftoken`` cookie's value in the ``X-CSRFToken`` header), or it is
refused with 403 and nothing changes: another site's page cannot act for a signed-in visitor.
A token caller needs none (a browser never sends the header by itself).

Operations that need a person use ``auth=SIGNED_IN`` (401 for anonymous callers, declared in
the document with the token and session schemes); operations anyone may call read
:func:`viewer`. Bad input is 422 in the shape every other 422 of the API has: ``detail`` and
``errors``, each with its ``loc`` (``["body", "body", "title"]``), ``msg`` and ``type``
(:func:`invalid`).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja import Field, Schema
from ninja.errors import HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import field_validator

from commonground.accounts import tokens
from commonground.accounts.ratelimit import RateLimited

NO_GOOD = ("The API token in the Authorization header is unknown, revoked or expired (or "
             "its account is no longer active): make a new one on your tokens page.")


def _token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    return header[7:].strip() if header[:7].lower() == "bearer " else header


def viewer(request: HttpRequest):
    """The person a reading call is made by (anonymous when neither a token nor a session);
    401 when a token is sent that is no good. Worked out once per request."""
    known = getattr(request, "_api_viewer", None)
    if known is None:
        secret = _token(request)
        if secret is None:
            known = request.user
        else:
            known = tokens.user_for(secret)
            if known is None:
                raise HttpError(401, NO_GOOD)
        request._api_viewer = known
    return known


class _Csrf(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def csrf_problem(request: HttpRequest) -> str | None:
    """Why the request fails Django's CSRF check (None when it passes, or for a safe method)."""
    request.csrf_processing_done = False
    _Csrf(lambda r: None).process_request(request)
    return _Csrf(lambda r: None).process_view(request, None, (), {})


class Token(HttpBearer):
    """``Authorization: Bearer <API token>``: the token's person."""

    def __call__(self, request):
        if _token(request) is None:
            return None
        return viewer(request)  # 401 for a token that is no good

    def authenticate(self, request, token):  # pragma: no cover - __call__ does it
        return viewer(request)


class Session(APIKeyCookie):
    """The browser session's person; a change also needs the CSRF token (``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked below, with a message that says what to send

    def authenticate(self, request, key):
        if _token(request) is not None or not request.user.is_authenticated:
            return None
        problem = csrf_problem(request)
        if problem is not None:
            raise HttpError(403, f"CSRF check failed ({problem}): send the csrftoken "
                                 "cookie's value in the X-CSRFToken header, as the hub's own "
                                 "pages do, or use an API token instead of the session.")
        return request.user


#: For operations that need a person: a token, or the session (with CSRF for changes).
SIGNED_IN = [Token(), Session()]


@contextmanager
def refusals(fields: dict[str, str] | None = None):
    """Turn what a service refuses into the API's answers: ``PermissionDenied`` 403, a
    ``FieldError`` 422 naming the body field (``fields`` renames a form's field to the
    body's), ``RateLimited`` 429 (as the page's form)."""
    try:
        yield
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "You may not do this.") from None
    except RateLimited as exc:
        raise HttpError(429, str(exc)) from None
    except ValueError as exc:  # the apps' ``FieldError``s (``activity.inputs``) name a field
        field = getattr(exc, "field", None)
        if not isinstance(field, str):
            raise
        raise invalid((fields or {}).get(field, field), str(exc)) from None


def invalid(field: str, message: str) -> ValidationError:
    """A 422 naming the body field a service refused, where django-ninja names a field of a
    request body that does not fit the document (the operations' body parameter is ``body``):
    ``["body", "body", "title"]``, so a client reads both the same way."""
    return ValidationError([{"loc": ["body", "body", field], "msg": message,
                             "type": "value_error"}])


class Body(Schema):
    """A request body: no text in it may hold the NUL character (PostgreSQL cannot store it;
    ``nulchars`` refuses it in query parameters and forms, a JSON body is refused here), 422
    naming the field."""

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value):
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("text may not contain the NUL character")
        return value


#: A path parameter naming a slug (a group's), and any other text in a path: never NUL (see
#: ``Body``), which would otherwise reach the database; 422 naming the parameter.
SLUG = r"^[-a-zA-Z0-9_]+$"
NO_NUL = r"^[^\x00]+$"


class Page(Schema):
    """How every list of this part of the API is paginated (as ``/api/projects/``)."""

    total: int = Field(description="How many there are in all (with the filters)")
    limit: int
    offset: int


class PageParams(Schema):
    limit: int = Field(20, ge=0, le=1000, description="At most this many")
    offset: int = Field(0, ge=0, description="Skip this many first")


def page(items, params: PageParams) -> tuple[dict, list]:
    """``{total, limit, offset}`` and the items of this page, of a queryset or a list."""
    total = items.count() if hasattr(items, "count") and not isinstance(items, list) \
        else len(items)
    return ({"total": total, "limit": params.limit, "offset": params.offset},
            list(items[params.offset:params.offset + params.limit]))
