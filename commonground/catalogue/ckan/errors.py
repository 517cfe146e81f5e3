"""The exceptions actions raise, and how each becomes CKAN's error envelope.

Status codes and ``__type`` strings are CKAN 2.10's (``ckan/views/api.py``), which is what
``ckanapi`` turns back into its exceptions:

===========================  ======  ===================================================
exception                    status  ``error``
===========================  ======  ===================================================
:class:`NotFound`            404     ``{"__type": "Not Found Error", "message": "Not found: ..."}``
:class:`NotAuthorized`       403     ``{"__type": "Authorization Error", "message": "Access denied: ..."}``
:class:`ValidationError`     409     ``{"__type": "Validation Error", "<field>": ["..."], ...}``
:class:`SearchQueryError`    400     ``{"__type": "Search Query Error", "message": "Search Query is invalid: ..."}``
===========================  ======  ===================================================
"""

from __future__ import annotations


class ActionError(Exception):
    status = 500

    def error(self) -> dict:
        raise NotImplementedError


class NotFound(ActionError):
    status = 404

    def error(self) -> dict:
        message = "Not found" + (f": {self}" if str(self) else "")
        return {"__type": "Not Found Error", "message": message}


class NotAuthorized(ActionError):
    status = 403

    def error(self) -> dict:
        message = "Access denied" + (f": {self}" if str(self) else "")
        return {"__type": "Authorization Error", "message": message}


class ValidationError(ActionError):
    """``errors``: field name → list of messages, as CKAN's ``ValidationError(error_dict)``."""

    status = 409

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(errors)

    def error(self) -> dict:
        return {**self.errors, "__type": "Validation Error"}


class SearchQueryError(ActionError):
    status = 400

    def error(self) -> dict:
        # CKAN formats the exception's args with %r: "Search Query is invalid: ('...',)"
        return {"__type": "Search Query Error",
                "message": f"Search Query is invalid: {self.args!r}"}
