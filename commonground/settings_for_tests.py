"""Settings for the test suite: the project's settings as the demo runs them (``DEBUG=1`` at
start-up, so the demo's key, hosts and static files apply; pytest-django then turns ``DEBUG``
off while tests run), with a process-local cache so each test can start with no rate-limit
counts. Tests of the production defaults import ``commonground.settings`` in a clean
environment instead (``tests/test_settings.py``). Subprocesses started by tests inherit
``DEBUG=1`` from here.

Passwords are hashed with MD5 here, as Django's testing guide advises: the production
hasher (PBKDF2, about 0.3 s a password on the 2-core machine) made each test that creates a
handful of people spend seconds in its fixtures. The tests of sign-in's own costs choose
PBKDF2 again (``tests/accounts/test_signin.py``).
"""

import os

os.environ.setdefault("DEBUG", "1")

from commonground.settings import *  # noqa: E402,F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "OPTIONS": {"MAX_ENTRIES": 100_000}}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                    "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
