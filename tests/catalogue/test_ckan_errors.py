"""The CKAN Action API's errors: wrong types, hidden datasets and what a message may say.

* Any parameter of any action, given a value of the wrong type (a list where a string
  belongs, an object, a number too large, text with a NUL...), is answered with CKAN's
  ``Validation Error`` (409) naming that parameter, a ``Search Query Error`` (400) for query
  syntax, or a ``Not Found Error`` (404) for an id; never a 500. Hypothesis draws the values.
* A dataset or resource the caller may not see answers exactly as one that does not exist.
* No message shows a path on the server or the query engine's internals.

The hub (a council with GP practices, schools, a draft and a private dataset) is the one
``test_ckan_api`` builds.
"""

from __future__ import annotations

import inspect
import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.catalogue.ckan.actions import ACTIONS

from . import test_ckan_api as ckan

ORG, error, ok = ckan.ORG, ckan.error, ckan.ok
hub, api = ckan.hub, ckan.api  # the hub and the client of test_ckan_api, as fixtures here

#: What no message to a client may contain: DuckDB's error kinds and echoed statement, and
#: the folders of the server (its data store, temporary files, the Python installation).
ENGINE_WORDS = ("Binder Error", "Catalog Error", "Parser Error", "Conversion Error",
                "Invalid Input Error", "Out of Range Error", "IO Error", "Permission Error",
                "LINE 1:", "Candidate bindings", "Did you mean")


def server_folders() -> list[str]:
    import tempfile

    from django.conf import settings as django_settings

    return [str(django_settings.COMMONGROUND_DATASTORE), tempfile.gettempdir() + "/",
            "site-packages", "/tmp/"]


def assert_plain(text: str) -> None:
    for word in ENGINE_WORDS:
        assert word not in text, text
    for folder in server_folders():
        assert folder not in text, text


# --- wrong types, fuzzed ---------------------------------------------------------------------

def documented_parameters(action: str) -> list[str]:
    """The ``:param name:`` lines of an action's help (what ``help_show`` tells clients)."""
    names = re.findall(r":param ([\w.]+):", inspect.getdoc(ACTIONS[action]))
    if action == "group_list":  # "Parameters as organization_list"
        names = [n if n != "organizations" else "groups"
                 for n in documented_parameters("organization_list")]
    return names


def valid_call(action: str, hub) -> dict:
    """A call that succeeds, so that the one fuzzed parameter is all that is wrong."""
    schools = str(hub.resource(hub.schools).id)
    return {"help_show": {"name": "package_search"}, "package_show": {"id": "gp-practices"},
            "resource_show": {"id": schools}, "organization_show": {"id": ORG},
            "datastore_search": {"resource_id": schools}, "datastore_info": {"id": schools},
            "datastore_search_sql": {"sql": f'SELECT count(*) AS n FROM "{schools}"'},
            }.get(action, {})


def valid_write(action: str, hub) -> dict:
    """A write that succeeds, on things made for this one call (the call may delete them)."""
    from commonground.catalogue.models import Dataset, Resource

    def fresh_dataset() -> Dataset:
        return Dataset.objects.create(name=f"fuzz-{uuid.uuid4().hex[:12]}", title="Fuzzed",
                                      organisation=hub.council)

    def fresh_resource() -> Resource:
        return Resource.objects.create(dataset=fresh_dataset(), name="Fuzzed")

    table = {"fields": [{"id": "n", "type": "int"}], "records": [{"n": 1}]}
    calls = {
        "package_create": lambda: {"name": f"fuzz-{uuid.uuid4().hex[:12]}", "owner_org": ORG},
        "package_update": lambda: {"id": fresh_dataset().name},
        "package_patch": lambda: {"id": fresh_dataset().name},
        "package_delete": lambda: {"id": fresh_dataset().name},
        "package_revise": lambda: {"match": {"name": fresh_dataset().name},
                                   "update": {"notes": "Revised"}},
        "resource_create": lambda: {"package_id": fresh_dataset().name,
                                    "url": "http://127.0.0.1/table.csv"},
        "resource_update": lambda: {"id": str(fresh_resource().id)},
        "resource_patch": lambda: {"id": str(fresh_resource().id)},
        "resource_delete": lambda: {"id": str(fresh_resource().id)},
        "organization_create": lambda: {"name": f"fuzz-{uuid.uuid4().hex[:12]}",
                                        "title": "Fuzzed"},
        "organization_member_create": lambda: {"id": ORG, "username": hub.outsider.username,
                                               "role": "member"},
        "datastore_create": lambda: {"resource": {"package_id": fresh_dataset().name},
                                     **table},
        "datastore_upsert": lambda: {"resource_id": str(hub.resource(hub.schools).id),
                                     "method": "insert", "records": [{"urn": 1}]},
        "datastore_delete": lambda: {"resource_id": str(hub.resource(hub.schools).id),
                                     "filters": {"urn": -1}},
    }
    return calls[action]()


def writes(action: str) -> bool:
    return getattr(ACTIONS[action], "changes_data", False)


FUZZED = [(action, name) for action in sorted(ACTIONS) for name in documented_parameters(action)]
#: Parameters whose text is a Solr query: their bad syntax is CKAN's Search Query Error.
SOLR_TEXT = {("package_search", "q"), ("package_search", "fq"), ("package_search", "fq_list"),
             ("package_search", "sort")}
#: Parameters that name the thing asked for: another value may name nothing.
NAMES_A_THING = {"id", "name", "resource_id", "package_id", "match"}
#: Where an error about a parameter is reported under another name, as CKAN does: the
#: DataStore reports what is wrong with an SQL statement under "query".
REPORTED_AS = {("datastore_search_sql", "sql"): {"sql", "query"}}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**80, max_value=2**80)
    | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["", " ", "\x00", "1e400", "-1", "²", "urn desc", '["urn desc"]', "{",
                       "[1, 2]", '{"a": [1]}', "*:*", "name:(", "NOW"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                   max_size=3),
    max_leaves=6)


def test_every_documented_parameter_is_fuzzed():
    assert ("package_search", "sort") in FUZZED and ("datastore_search", "filters") in FUZZED
    assert ("help_show", "name") in FUZZED and ("group_list", "groups") in FUZZED
    assert len(FUZZED) > 40


@pytest.fixture
def writer(hub, django_user_model):
    """A token of site staff who is also an admin of the council: every write is theirs."""
    from commonground.accounts import tokens
    from commonground.accounts.models import Membership

    user = django_user_model.objects.create_user("ckan-fuzz-admin", is_staff=True)
    Membership.objects.create(user=user, organisation=hub.council, role=Membership.Role.ADMIN)
    return tokens.make(user).secret


@pytest.mark.parametrize(("action", "name"), FUZZED, ids=[f"{a}.{n}" for a, n in FUZZED])
@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_a_parameter_of_any_type_is_answered_never_a_server_error(api, hub, action, name,
                                                                   value, writer,
                                                                   monkeypatch):
    from django.conf import settings as django_settings

    # resource_create's url is the loopback address: checked, never fetched (no network)
    monkeypatch.setattr(django_settings, "COMMONGROUND_FETCH_ALLOW_PRIVATE", True)
    call = valid_write(action, hub) if writes(action) else valid_call(action, hub)
    status, body = api(action, {**call, name: value}, method="post",
                       token=writer if writes(action) else None)
    assert status in (200, 400, 404, 409), body
    if status == 200:
        return
    kind = body["error"]["__type"]
    if status == 409:
        fields = REPORTED_AS.get((action, name), {name})
        assert kind == "Validation Error" and fields & set(body["error"]), body
    elif status == 400:
        assert kind == "Search Query Error" and (action, name) in SOLR_TEXT, body
    else:
        assert kind == "Not Found Error" and name in NAMES_A_THING, body
    assert_plain(json.dumps(body))


@pytest.mark.parametrize(("action", "data", "field"), [
    ("package_search", {"sort": ["urn desc"]}, "sort"),
    ("package_search", {"q": ["schools"]}, "q"),
    ("package_search", {"fq": {"organization": ORG}}, "fq"),
    ("package_search", {"fq_list": [1]}, "fq_list"),
    ("package_search", {"facet.limit": 1e400}, "facet.limit"),
    ("package_search", {"rows": 10**30}, "rows"),
    ("package_list", {"offset": 2**63}, "offset"),
    ("help_show", {"name": ["package_show"]}, "name"),
    ("help_show", {"name": {"a": 1}}, "name"),
    ("package_show", {"id": ["gp-practices"]}, "id"),
    ("organization_list", {"sort": " "}, None),
    ("organization_show", {"id": "²"}, None),
    ("tag_list", {"query": "a\x00b"}, "query"),
    ("datastore_search", {"sort": [1]}, "sort"),
    ("datastore_search", {"records_format": ["csv"]}, "records_format"),
    ("datastore_search_sql", {"sql": ["SELECT 1"]}, "sql"),
])
def test_the_types_that_crashed_are_validation_errors_naming_the_field(api, hub, action, data,
                                                                       field):
    answer = api(action, {**valid_call(action, hub), **data}, method="post")
    if field is None:  # an odd value that is still a value: answered
        assert answer[0] in (200, 404), answer
    else:
        assert field in error(answer, 409, "Validation Error"), answer


def test_a_body_nested_too_deeply_is_a_bad_request(db, client):
    response = client.post("/api/3/action/package_list", "[" * 100_000,
                           content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.content).startswith("Bad request - JSON Error: ")


def test_a_sort_on_a_field_package_search_does_not_sort_by_is_a_search_query_error(api):
    # As CKAN answers for a sort Solr cannot do.
    assert error(api("package_search", {"sort": "urn desc"}), 400, "Search Query Error") == {
        "__type": "Search Query Error",
        "message": "Search Query is invalid: ('Invalid \"sort\" parameter',)"}
    assert ok(api("package_search", {"sort": "name desc"}))["results"][0]["name"] == "schools"


# --- hidden is not found ------------------------------------------------------------------

def test_a_dataset_the_caller_may_not_see_is_not_found_like_one_that_does_not_exist(api, hub,
                                                                                   client):
    missing = api("package_show", {"id": "no-such-dataset"})
    assert error(missing, 404, "Not Found Error")["message"] == "Not found: Dataset not found"
    absent_uuid = api("package_show", {"id": str(uuid.uuid4())})
    for dataset in (hub.draft, hub.private):
        assert api("package_show", {"id": dataset.name}) == missing
        assert api("package_show", {"id": str(dataset.id)}) == absent_uuid == missing
        # An invalid token and an outsider are anonymous here; a member sees it.
        assert api("package_show", {"id": dataset.name}, token=hub.token + "x") == missing
        client.force_login(hub.outsider)
        assert api("package_show", {"id": dataset.name}) == missing
        client.logout()
        assert ok(api("package_show", {"id": dataset.name}, token=hub.token))["id"] == str(
            dataset.id)


def test_a_resource_the_caller_may_not_see_is_not_found_like_one_that_does_not_exist(api, hub):
    hidden = str(hub.resource(hub.draft).id)
    missing = str(uuid.uuid4())

    def as_missing(answer):
        status, body = answer
        return status, json.loads(json.dumps(body).replace(hidden, missing))

    for action, key in (("resource_show", "id"), ("datastore_search", "resource_id")):
        answer = api(action, {key: hidden})
        assert answer[0] == 404, answer
        assert as_missing(answer) == api(action, {key: missing})
        assert hidden not in json.dumps(answer[1]) or action == "datastore_search"
        assert ok(api(action, {key: hidden}, token=hub.token))
    # In SQL a hidden table is a table that is not there.
    sql = 'SELECT count(*) FROM "{}"'
    answer = api("datastore_search_sql", {"sql": sql.format(hidden)})
    assert error(answer, 409, "Validation Error")["query"][0].startswith(
        f'there is no table "{hidden}" here')
    assert as_missing(answer) == api("datastore_search_sql", {"sql": sql.format(missing)})
    assert ok(api("datastore_search_sql", {"sql": sql.format(hidden)}, token=hub.token))


def test_rows_withheld_from_a_visible_dataset_are_still_an_authorization_error(api, hub):
    from commonground.catalogue.models import Dataset

    Dataset.objects.filter(pk=hub.schools.pk).update(about_people=True)  # rolled back
    schools = str(hub.resource(hub.schools).id)
    error(api("datastore_search", {"resource_id": schools}), 403, "Authorization Error")
    assert ok(api("resource_show", {"id": schools}))["datastore_active"] is True


# --- no paths, no engine internals --------------------------------------------------------

HOSTILE_SQL = [
    'SELECT nope FROM "{rid}"',
    "SELEC 1",
    "SELECT * FROM nope",
    "SELECT nope(1)",
    "SELECT CAST('abc' AS INTEGER)",
    "SELECT 'abc",
    "SELECT 9223372036854775807::BIGINT + 1",
    "SELECT * FROM read_parquet('/etc/passwd')",
    'SELECT * FROM "{rid}" WHERE urn = ',
]


@pytest.mark.parametrize("sql", HOSTILE_SQL)
def test_sql_errors_are_plain_and_name_no_server_path(api, hub, sql):
    rid = hub.resource(hub.schools).id
    answer = api("datastore_search_sql", {"sql": sql.format(rid=rid)})
    message = error(answer, 409, "Validation Error")["query"][0]
    assert_plain(message)


@pytest.mark.parametrize(("sql", "message"), [
    ('SELECT nope FROM "{rid}"', 'there is no column "nope"'),
    ("SELEC 1", 'syntax error near "SELEC"'),
    ("SELECT nope(1)", "there is no function nope()"),
    ("SELECT CAST('abc' AS INTEGER)", "'abc' is not a valid integer"),
    ("SELECT 'abc", "a quoted text is not closed"),
])
def test_sql_errors_say_what_is_wrong_in_plain_words(api, hub, sql, message):
    rid = hub.resource(hub.schools).id
    answer = api("datastore_search_sql", {"sql": sql.format(rid=rid)})
    assert error(answer, 409, "Validation Error")["query"] == [message]


@pytest.mark.parametrize(("filters", "message"), [
    ({"urn": "abc"}, "'abc' is not a valid integer for column 'urn'"),
    ({"urn": [1, "x"]}, "'x' is not a valid integer for column 'urn'"),
    ({"percentage_fsm": "lots"}, "'lots' is not a valid number for column 'percentage_fsm'"),
])
def test_filter_values_that_do_not_fit_say_which_value_and_column(api, hub, filters, message):
    schools = str(hub.resource(hub.schools).id)
    answer = api("datastore_search", {"resource_id": schools, "filters": filters}, method="post")
    assert error(answer, 409, "Validation Error")["filters"] == [message]


def test_integers_beyond_64_bits_are_compared_not_refused(api, hub, client):
    schools = hub.resource(hub.schools).id
    found = ok(api("datastore_search", {"resource_id": str(schools),
                                        "filters": {"urn": [10**40, -10**40]}}, method="post"))
    assert found["total"] == 0
    rows = client.get(f"/api/catalogue/resources/{schools}/rows", {"urn__lt": str(10**40)})
    assert rows.status_code == 200 and rows.json()["total"] == 125


def test_the_json_api_answers_bad_filters_plainly(db, hub, client):
    schools = hub.resource(hub.schools).id
    response = client.get(f"/api/catalogue/resources/{schools}/rows", {"urn": "abc"})
    assert response.status_code == 400
    assert response.json() == {"detail": "'abc' is not a valid integer for column 'urn'"}


def test_a_version_file_gone_from_the_server_is_a_plain_server_error(api, hub, make_dataset,
                                                                     data_dir, tmp_path):
    """A lost file is the operators' problem: a 500 envelope, with no path in it."""
    import shutil

    from commonground.catalogue.models import Resource

    copy = tmp_path / "lost.csv"
    shutil.copy(data_dir / "points" / ckan.SCHOOLS, copy)
    resource = ckan._ingest(make_dataset("lost-rows"), copy, "Lost")
    version = Resource.objects.get(pk=resource.pk).current_version
    version.parquet_path.unlink()
    answer = api("datastore_search", {"resource_id": str(resource.id)})
    assert answer[0] == 500
    assert answer[1]["error"] == {"__type": "Internal Server Error",
                                  "message": "Internal Server Error"}
