"""The JSON API's error answers, as its OpenAPI document declares them.

Every error is a JSON object whose ``detail`` says what is wrong and where. A request that does
not fit the document (a parameter missing, of the wrong type or out of range) answers 422 with
``errors`` as well: one per problem, each with its ``loc`` (``["query", "lat"]``), ``msg`` and
``type``. Each operation declares every error status it can answer, so a client (and the
schemathesis run in ``tests/test_openapi_fuzz.py``) can rely on the document::

    @router.get("/rows", openapi_extra=errors(400, 403, 404, 422))

The declaration is the document's only: answers are not validated again on the way out (that
would cost a walk over every row of every page).
"""

from __future__ import annotations

from http import HTTPStatus

ERROR = {"type": "object", "required": ["detail"],
         "properties": {"detail": {"type": "string"}}}

INVALID = {"type": "object", "required": ["detail"], "properties": {
    "detail": {"type": "string"},
    "errors": {"type": "array", "items": {"type": "object", "required": ["loc", "msg", "type"],
                                          "properties": {
                                              "loc": {"type": "array", "items": {
                                                  "anyOf": [{"type": "string"},
                                                            {"type": "integer"}]}},
                                              "msg": {"type": "string"},
                                              "type": {"type": "string"}}}}}}

#: What an error status means in this API, where it says more than the status's name.
MEANINGS = {
    400: "The request cannot be used: `detail` names the parameter and why",
    403: "Withheld from this user: `detail` says why",
    404: "Not found (or not visible to this user)",
    422: "The request does not fit this document: `detail` and `errors` name each problem",
    503: "The city's data is not loaded yet (`manage.py load_places`)",
}


def errors(*statuses: int) -> dict:
    """``openapi_extra=`` for an operation: the error statuses it can answer, each with its
    JSON body (``INVALID`` for 422, ``ERROR`` for the others)."""
    return {"responses": {status: {
        "description": MEANINGS.get(status, HTTPStatus(status).phrase),
        "content": {"application/json": {"schema": INVALID if status == 422 else ERROR}}}
        for status in statuses}}


def describe(problems: list[dict]) -> str:
    """One line naming each problem and where it is, e.g. ``lat (query): Input should be less
    than or equal to 90``."""
    parts = []
    for problem in problems:
        where, *path = problem.get("loc") or ["request"]
        name = ".".join(str(p) for p in path)
        parts.append(f"{name} ({where}): {problem.get('msg')}" if name
                     else f"{where}: {problem.get('msg')}")
    return "; ".join(parts) or "the request does not fit the API's description"
