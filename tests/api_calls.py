"""Calling the JSON API as its clients do: a browser session (which must send the CSRF token
for changes, as the hub's pages do), an API token, or nobody.

``Caller(user)``: the user's browser session, CSRF checks enforced as in production;
``Caller(user, token=True)``: an API token of the user in ``Authorization`` and no session;
``Caller(None)``: anonymous. ``caller.post(path, body, csrf=False)`` leaves the CSRF token
out (what another site's page would send).
"""

from __future__ import annotations

import json

from django.test import Client

CSRF = "a" * 32  # a well-formed CSRF secret: the cookie and the header must match


class Caller:
    def __init__(self, user=None, *, token: bool = False):
        self.client = Client(enforce_csrf_checks=True)
        self.headers: dict[str, str] = {}
        if user is not None and token:
            from commonground.accounts import tokens

            self.headers["Authorization"] = f"Bearer {tokens.make(user).secret}"
        elif user is not None:
            self.client.force_login(user)
        self.client.cookies["csrftoken"] = CSRF

    def get(self, path: str, **params):
        return self.client.get(path, params, headers=self.headers)

    def _send(self, method: str, path: str, body, csrf: bool):
        headers = dict(self.headers)
        if csrf:
            headers["X-CSRFToken"] = CSRF
        send = getattr(self.client, method)
        return send(path, json.dumps(body) if body is not None else "",
                    content_type="application/json", headers=headers)

    def post(self, path: str, body=None, *, csrf: bool = True):
        return self._send("post", path, body if body is not None else {}, csrf)

    def delete(self, path: str, *, csrf: bool = True):
        return self._send("delete", path, None, csrf)


def problem_fields(response) -> list[list]:
    """The ``loc`` of each problem of a 422."""
    assert response.status_code == 422, response.content
    return [p["loc"] for p in response.json()["errors"]]
