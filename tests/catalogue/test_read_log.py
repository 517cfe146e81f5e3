"""The read log page and its CSV: every read of a dataset's restricted rows, newest first, for
the owning organisation's editors only; the CSV cannot smuggle a formula into a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue import read_log_views
from commonground.catalogue.access_models import Grant, RowRead
from commonground.catalogue.models import Resource
from commonground.catalogue.services import datasetkeys

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(make_dataset):
    dataset = make_dataset("epc", restricted=True)
    Resource.objects.create(dataset=dataset, name="Certificates")
    return dataset


@pytest.fixture
def reads(restricted, people):
    """Three reads an hour apart: the newest by key through a grant, one with a formula."""
    resource = restricted.resources.get()
    grant = Grant.objects.create(dataset=restricted, user=people["outsider"], scope={},
                                 expires=timezone.now() + timedelta(days=30))
    key = datasetkeys.make_grant_key(grant, people["outsider"]).key
    now = timezone.now()
    return [
        RowRead.objects.create(dataset=restricted, user=people["member"], who="member",
                               channel=RowRead.Channel.PAGE, resource=resource,
                               version_number=1, detail="page 1", rows=50,
                               at=now - timedelta(hours=2)),
        RowRead.objects.create(dataset=restricted, user=people["outsider"], who="outsider",
                               channel=RowRead.Channel.DOWNLOAD, resource=resource,
                               version_number=1, detail='=HYPERLINK("http://evil")',
                               rows=1200, grant=grant, at=now - timedelta(hours=1)),
        RowRead.objects.create(dataset=restricted, user=people["outsider"], who="outsider",
                               key=key, grant=grant, channel=RowRead.Channel.API,
                               resource=resource, version_number=1, detail="postcode=MK9",
                               rows=3, at=now),
    ]


def test_an_editor_reads_the_log_newest_first(client, reads, people):
    client.force_login(people["editor"])
    response = client.get(reverse("catalogue:reads", args=["epc"]))
    assert response.status_code == 200
    assert [r.pk for r in response.context["page"].object_list] == [r.pk for r in reads[::-1]]
    page = response.content.decode()
    assert page.index("postcode=MK9") < page.index("HYPERLINK") < page.index("page 1")
    assert "Row API" in page and "Download" in page and f"{reads[2].key.prefix}…" in page
    assert f"Grant {reads[2].grant_id}" in page and "1200" in page


def test_the_log_is_paged(client, restricted, people, monkeypatch):
    monkeypatch.setattr(read_log_views, "PAGE_SIZE", 2)
    now = timezone.now()
    for n in range(3):
        RowRead.objects.create(dataset=restricted, who=f"reader{n}", channel="api",
                               at=now - timedelta(minutes=n))
    client.force_login(people["editor"])
    url = reverse("catalogue:reads", args=["epc"])
    first = [r.who for r in client.get(url).context["page"].object_list]
    second = [r.who for r in client.get(url, {"page": 2}).context["page"].object_list]
    assert (first, second) == (["reader0", "reader1"], ["reader2"])


def test_the_csv_has_every_read_and_no_formula(client, reads, people):
    client.force_login(people["editor"])
    response = client.get(reverse("catalogue:reads_csv", args=["epc"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="epc-reads.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["detail"] for r in rows] == ["postcode=MK9", "'=HYPERLINK(\"http://evil\")",
                                           "page 1"]
    newest = rows[0]
    assert (newest["channel"], newest["rows"], newest["grant_id"], newest["key"]) == (
        "api", "3", str(reads[2].grant_id), f"{reads[2].key.prefix}…")
    assert newest["resource"] == "Certificates" and newest["version"] == "1"
    assert rows[2]["grant_id"] == "" and rows[2]["key"] == ""


@pytest.mark.parametrize("url_name", ["catalogue:reads", "catalogue:reads_csv"])
def test_only_the_owners_editors_see_the_log(client, reads, people, make_dataset, url_name):
    url = reverse(url_name, args=["epc"])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "login" in anonymous.url
    client.force_login(people["member"])  # the council's member, not an editor
    assert client.get(url).status_code == 403
    client.force_login(people["outsider"])  # the grantee
    assert client.get(url).status_code == 403
    residents = Organisation.objects.create(slug="residents", name="Residents' Association")
    stranger = type(people["editor"]).objects.create_user("stranger")
    Membership.objects.create(user=stranger, organisation=residents, role=Membership.Role.EDITOR)
    client.force_login(stranger)
    assert client.get(url).status_code == 403
    make_dataset("hidden", private=True)
    assert client.get(reverse(url_name, args=["hidden"])).status_code == 404


def test_the_dataset_page_links_editors_to_keys_and_the_log(client, restricted, people):
    url = reverse("catalogue:dataset", args=["epc"])
    client.force_login(people["editor"])
    page = client.get(url).content.decode()
    assert reverse("catalogue:reads", args=["epc"]) in page
    assert reverse("catalogue:keys", args=["epc"]) in page
    client.force_login(people["member"])
    page = client.get(url).content.decode()
    assert reverse("catalogue:reads", args=["epc"]) not in page
