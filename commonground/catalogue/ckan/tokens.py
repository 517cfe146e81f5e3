"""API tokens: how a CKAN client (``ckanapi.RemoteCKAN(url, apikey=token)``) acts as a user.

A token is the user's id signed with the site's ``SECRET_KEY`` (:mod:`django.core.signing`,
salt :data:`SALT`), together with a keyed hash of the user's password hash. Nothing is stored:

* ``make_token(user)`` makes one; an operator hands it out with::

      python manage.py shell -c "from django.contrib.auth.models import User; \
      from commonground.catalogue.ckan.tokens import make_token; \
      print(make_token(User.objects.get(username='alice')))"

* the client sends it in the ``Authorization`` header (``X-CKAN-API-Key`` is accepted too:
  ``ckanapi`` sends both);
* :func:`user_for_token` gives the user back, or ``None`` when the signature is wrong, the
  user is gone or inactive, or the password changed since the token was made. **Changing the
  password revokes every token**; changing ``SECRET_KEY`` revokes all tokens of the site.

Tokens do not expire by themselves (CKAN's API tokens do not either, unless configured).
The token reveals the user's id, nothing else: the password hash part is an HMAC.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "commonground.catalogue.ckan.token"


def _password_mark(user) -> str:
    return salted_hmac(SALT, user.password or "").hexdigest()[:20]


def make_token(user) -> str:
    """A token for ``user``: ``"<payload>:<signature>"``, URL- and header-safe."""
    return signing.dumps({"u": user.pk, "p": _password_mark(user)}, salt=SALT)


def user_for_token(token: str):
    """The active user the token was made for, or ``None`` if it is not (or no longer) valid."""
    try:
        payload = signing.loads(token.strip(), salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict):
        return None
    user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or not constant_time_compare(str(payload.get("p", "")), _password_mark(user)):
        return None
    return user
