"""Text with the NUL character is refused before it reaches the database (PostgreSQL cannot
hold it), naming the parameter: 422 from the JSON API in its declared shape, 400 on pages, and
the CKAN API's own Validation Error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_json_api_answers_422_naming_the_parameter(client):
    answer = client.get("/api/catalogue/datasets", {"groups": ["", "M\x7fd\x00v"], "limit": 5})
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"] == "groups (query): text may not contain the NUL character"
    assert body["errors"] == [{"loc": ["query", "groups"], "type": "string_nul",
                               "msg": "text may not contain the NUL character"}]


@pytest.mark.parametrize("path", ["/datasets/?q=a%00b", "/places/search?q=Bletch%00ley",
                                  "/requests/?place=%00"])
def test_pages_answer_400_naming_the_parameter(client, path):
    answer = client.get(path)
    assert answer.status_code == 400
    assert "text may not contain the NUL character" in answer.content.decode()


def test_a_form_field_with_nul_changes_nothing(client, django_user_model):
    answer = client.post("/accounts/signup/", {"username": "jo\x00", "email": "jo@example.org",
                                               "password1": "x", "password2": "x"})
    assert answer.status_code == 400
    assert not django_user_model.objects.exists()


def test_the_ckan_api_keeps_its_own_validation_error(client):
    answer = client.get("/api/3/action/package_search", {"q": "a\x00b"})
    assert answer.status_code == 409
    assert answer.json()["success"] is False
