"""The JSON API keeps the promises of its OpenAPI document.

Schemathesis generates requests for every operation in ``/api/openapi.json`` (valid ones from
the schema, invalid ones against it, and the edges of each parameter) and sends them to the
site in process (WSGI, no network), on the test database with the real city loaded and one
public dataset with a version. Every answer must be: no server error; a status code the
document declares for that operation; the declared content type; a body that fits the declared
schema; and a request the document calls valid is not refused (400/422), except where a
parameter names something in the data (a geography, a column, an edition), which no static
document can list.

Bounded and reproducible: a fixed seed, derandomised generation, no example database, at most
``MAX_EXAMPLES`` fuzzed requests per operation (plus the deterministic example and coverage
phases). A failure prints the request to replay it (``curl``).
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from commonground.api import api

#: Fuzzed requests per operation: enough to reach every declared status of this API, small
#: enough that the whole run stays well under a minute on two cores.
MAX_EXAMPLES = 20

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "positive_data_acceptance")

#: Operations whose valid-looking requests may name what the data does not have: a
#: geography or column (aggregate, changes; rows: a column to sort by or keep, a cursor
#: from another query, a version the resource lacks), a resource, column, edition or table the dataset
#: lacks (lens); a roof drawn as an outline whose pitch or sloping area is impossible
#: (home: a rule across two parameters); a place or partner the register's city lacks, or a
#: period ending before it starts (projects); a place the city lacks (``LISTS_BY_PLACE``:
#: the lists of data requests, consultations and evidence packs); an area's heat picture
#: (a code the city lacks: 404; a geography without a code: 400); a warm-homes ranking with
#: every weight 0 (a rule across four parameters). They answer 400 naming the parameter. A
#: feed (push) the data lacks answers 404.
NAMES_IN_THE_DATA = ["/api/catalogue/resources/{resource_id}/aggregate",
                     "/api/catalogue/resources/{resource_id}/rows",
                     "/api/catalogue/resources/{resource_id}/changes",
                     "/api/catalogue/datasets/{name}/lens", "/api/energy/home",
                     "/api/projects/", "/api/feeds/{feed}/observations",
                     "/api/feeds/{feed}/observations.csv", "/api/energy/heat",
                     "/api/energy/heat/campaign"]
LISTS_BY_PLACE = ["GET /api/community/requests", "GET /api/consultations/",
                  "GET /api/evidence/packs"]

#: Text with the NUL character is refused before any view, with 422 naming the parameter
#: (``commonground/nulchars.py``; PostgreSQL cannot hold NUL), which a document cannot say of
#: every string short of a pattern on each: ``tests/test_nul_characters.py`` covers it, and the
#: fuzzing leaves NUL out so the documented answers are what it checks.
CONFIG = schemathesis.Config.from_dict({
    "seed": 14,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "allow-x00": False},
    "phases": {"stateful": {"enabled": False}},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    "operations": [{"include-path": NAMES_IN_THE_DATA, "checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "400", "403", "404"]}}},
                   {"include-name": LISTS_BY_PLACE, "checks": {
                       "positive_data_acceptance": {
                           "expected-statuses": ["2xx", "400", "403", "404"]}}}],
})

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)

#: The dataset every catalogue operation can find: fixed names, so generated requests can
#: name it, and real values for parameters the data decides. Half the requests use them, the
#: other half whatever was generated.
DATASET = "schools"
RESOURCE_ID = uuid.UUID("00000000-0000-4000-8000-000000000014")
KNOWN_PATH = {"name": DATASET, "resource_id": str(RESOURCE_ID), "number": 1,
              "geography": "ward", "code": "E05009406"}
KNOWN_QUERY = {"postcode": "MK9 3EJ", "geography": "ward", "column": "number_of_pupils"}


def _sometimes(values: dict | None, known: dict):
    known = {k: v for k, v in known.items() if k in (values or {})}
    if not known:
        return st.just(values)
    return st.sampled_from([values, {**values, **known}])


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    return _sometimes(path_parameters, KNOWN_PATH)


@schema.hook
def flatmap_query(context, query):
    return _sometimes(query, KNOWN_QUERY)


@pytest.fixture
def app(loaded, make_dataset, ingest_path, data_dir):
    """The site as a WSGI application, with a public dataset of the city's schools."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from commonground.catalogue.models import IngestJob, Resource

    dataset = make_dataset(DATASET, title="Schools")
    resource = Resource.objects.create(id=RESOURCE_ID, dataset=dataset, name="Open schools")
    job = ingest_path(dataset, data_dir / "points" / "mk_schools_gias_2025-05.csv",
                      resource=resource)
    assert job.status == IngestJob.Status.DONE, job.error
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
# The fixture is shared by every generated request on purpose: they only read.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_answers_as_its_openapi_document_says(case, app):
    case.call_and_validate(app=app)
