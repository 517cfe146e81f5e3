"""Refuse text holding the NUL character before it reaches a view.

PostgreSQL cannot store or compare text with NUL (``\\x00``) in it: a query such as
``/api/catalogue/datasets?groups=a%00b`` would end in a database error (HTTP 500) there, while
SQLite answers it. No field of the hub takes NUL, so a request carrying it in a query parameter
or a form field is answered at once, naming the parameter: 422 in the JSON API's declared error
shape (``apierrors.INVALID``), 400 on pages. The CKAN Action API (``/api/3/``) names such a
parameter in its own Validation Error, so it is left to it.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

NUL = "\x00"
CKAN_PREFIX = "/api/3/"
JSON_API_PREFIX = "/api/"


def _fields_with_nul(request) -> list[tuple[str, str]]:
    """``(where, name)`` of each query parameter or urlencoded form field holding NUL."""
    found = [("query", name) for name, values in request.GET.lists()
             if NUL in name or any(NUL in value for value in values)]
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        found += [("form", name) for name, values in request.POST.lists()
                  if NUL in name or any(NUL in value for value in values)]
    return found


class RefuseNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(CKAN_PREFIX):
            return self.get_response(request)
        found = _fields_with_nul(request)
        if not found:
            return self.get_response(request)
        names = ", ".join(f"{name.replace(NUL, '?')} ({where})" for where, name in found)
        message = f"{names}: text may not contain the NUL character"
        if request.path.startswith(JSON_API_PREFIX):
            return JsonResponse({"detail": message, "errors": [
                {"loc": [where, name.replace(NUL, "?")], "type": "string_nul",
                 "msg": "text may not contain the NUL character"} for where, name in found]},
                status=422)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
