"""A consultation and people to comment on it, as in tests/consultations."""

from tests.consultations.conftest import PASSWORD, cast, make_consultation  # noqa: F401
