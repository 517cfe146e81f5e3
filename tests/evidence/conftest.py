"""Evidence pack fixtures: a community group with an editor, a member and outsiders, the real
public libraries file as a dataset, and the neighbourhood around Bletchley Library."""

from __future__ import annotations

import io
import json

import pypdf
import pytest

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import IngestJob

#: Milton Keynes 030B, the neighbourhood (LSOA 2021) with Bletchley Library in it
LSOA = "E01016714"
LIBRARIES = ("points", "mk_public_libraries_dcms_2023.geojson")


@pytest.fixture
def group(db):
    return Organisation.objects.create(slug="bletchley-green", name="Bletchley Green Group",
                                       kind=Organisation.Kind.COMMUNITY_GROUP)


@pytest.fixture
def people(group, council, django_user_model):
    """The group's editor and plain member, an editor of another organisation (the council),
    and a resident who belongs to nothing."""
    make = django_user_model.objects.create_user
    cast = {"editor": make("green-editor", password="pw-ed-1"),
            "member": make("green-member", password="pw-me-1"),
            "council_editor": make("officer", password="pw-of-1"),
            "outsider": make("resident", password="pw-re-1")}
    Membership.objects.create(user=cast["editor"], organisation=group,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=cast["member"], organisation=group,
                              role=Membership.Role.MEMBER)
    Membership.objects.create(user=cast["council_editor"], organisation=council,
                              role=Membership.Role.EDITOR)
    return cast


@pytest.fixture
def libraries(loaded, make_dataset, ingest_path, data_dir):
    """The council's public libraries dataset, one version, ingested from the real file."""
    dataset = make_dataset("libraries", title="Public libraries")
    job = ingest_path(dataset, data_dir.joinpath(*LIBRARIES), name="Libraries 2023")
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset, job.version


@pytest.fixture
def features(data_dir) -> list[dict]:
    """The libraries file's features, read independently of the catalogue."""
    return json.loads(data_dir.joinpath(*LIBRARIES).read_text(encoding="utf-8"))["features"]


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)
