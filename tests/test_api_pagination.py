"""Every list of the JSON API is paginated the same way: ``limit`` and ``offset`` in, and
``total``, ``limit`` and ``offset`` out, in the OpenAPI document and in the answers."""

import pytest

pytestmark = pytest.mark.django_db


def _schema(doc: dict, ref_or_schema: dict) -> dict:
    while "$ref" in ref_or_schema:
        ref_or_schema = doc["components"]["schemas"][ref_or_schema["$ref"].rsplit("/", 1)[1]]
    return ref_or_schema


def _lists(doc: dict) -> list[tuple[str, dict]]:
    """The GET operations that take a ``limit`` (outside the CKAN-compatible API)."""
    out = []
    for path, item in doc["paths"].items():
        op = item.get("get")
        if op and "limit" in {p["name"] for p in op.get("parameters", [])}:
            out.append((path, op))
    return out


def test_every_list_in_the_openapi_document_takes_limit_and_offset_and_says_its_total(client):
    doc = client.get("/api/openapi.json").json()
    lists = _lists(doc)
    assert len(lists) >= 15  # datasets, rows, projects, feeds, requests, groups, ...
    for path, op in lists:
        assert "offset" in {p["name"] for p in op["parameters"]}, path
        answer = op["responses"]["200"]["content"]["application/json"]["schema"]
        properties = _schema(doc, answer).get("properties", {})
        assert {"total", "limit", "offset"} <= set(properties), path


@pytest.mark.parametrize("url", ["/api/catalogue/datasets", "/api/projects/", "/api/feeds/",
                                 "/api/community/requests", "/api/consultations/"])
def test_lists_answer_with_the_page_they_were_asked_for(client, url):
    answer = client.get(url, {"limit": 1, "offset": 2})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["limit"], body["offset"]) == (1, 2)
    assert isinstance(body["total"], int) and body["total"] >= 0
