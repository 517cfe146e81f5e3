"""The demo's restricted dataset: the council publishes the data package's charge points a
second time, with their addresses withheld, and two residents ask for them — one request
waits for an answer, the other has the council's counter-offer.

``seed(council, officer, people)`` is called by ``manage.py seed_community``; ``officer``
must be an editor of ``council``, ``people`` maps "amina" and "dave" to residents outside it.
It goes through the same use cases as the pages (ingest, access_requests) and adds nothing
that is there already. Raises ``LookupError`` when the data package has no charge points or
they have no address columns (another city's folder), ``ValueError`` when they fail to load.
"""

from __future__ import annotations

from django.conf import settings

from commonground.geography.manifest import load_manifest

from . import grantscope
from .models import AccessRequest, Dataset, IngestJob, Resource
from .services import access_requests, ingest
from .services.searchtext import refresh_search_text

SOURCE = "ev-chargepoints"  # the manifest resource's name
NAME = "charge-point-survey"
TITLE = "Charge point survey (restricted demo)"
ADDRESS = ("buildingnumber", "street", "postcode")  # withheld where the file has them
PERIOD = "datecreated"
TERMS = ("Use the addresses only for the purpose you gave; publish nothing that names an "
         "address or postcode; delete your copy when the grant ends.")
NOTES = ("The National Chargepoint Registry's charge points, published by the council as a "
         "demonstration of restricted data: the rows are open, but the building number, street "
         "and postcode of each charge point are withheld. Ask for access on this page.")

PURPOSE = {"amina": "Check which charge points on our estates' streets are really public, "
                    "for the Community Action transport survey",
           "dave": "Write to the owners of charge points near homes without driveways"}
OFFER_NOTE = ("We can share the postcodes for six months; the street addresses need the "
              "owners' consent first.")
SAFES = {"safe_projects": "A community transport survey, shared with the council",
         "safe_people": "Two volunteers of the community group",
         "safe_settings": "One laptop, encrypted, never a shared drive",
         "safe_data": "Only the address columns: the rest is open already",
         "safe_outputs": "Counts per ward; no address is published"}


def seed(council, officer, people) -> str:
    """The dataset and its two requests (see the module); returns what was done, in words."""
    dataset = Dataset.objects.filter(name=NAME).first() or _publish(council, officer)
    asked = _ask(dataset, people["amina"], PURPOSE["amina"])
    waiting = _ask(dataset, people["dave"], PURPOSE["dave"])
    if waiting.status == AccessRequest.Status.PENDING:
        columns = grantscope.from_json(waiting.scope).columns
        if "postcode" in columns and len(columns) > 1:
            columns = ("postcode",)
        access_requests.counter(officer, waiting, grantscope.Scope(columns=columns, months=6),
                                note=OFFER_NOTE)
    return (f"{dataset.title}: {', '.join(dataset.withheld_columns)} withheld; "
            f"resident-amina's request {asked.status}, resident-dave's "
            f"{AccessRequest.objects.get(pk=waiting.pk).status}")


def _publish(council, officer) -> Dataset:
    manifest = load_manifest(settings.COMMONGROUND_DATA)
    source = next((r for r in manifest.resources if r.name == SOURCE), None)
    if source is None:
        raise LookupError(f"the data package has no {SOURCE!r} resource")
    dataset = Dataset.objects.create(
        name=NAME, title=TITLE, organisation=council, notes=NOTES, created_by=officer,
        restricted=True, period_column=PERIOD, access_terms=TERMS,
        source=f"{source.title} (the data package's {SOURCE})",
        frequency=Dataset.Frequency.NEVER, state=Dataset.State.DRAFT)
    resource = Resource.objects.create(dataset=dataset, name=source.title)
    path = manifest.root / source.path
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 20), b""),
                                  filename=path.name, user=officer)
    job = ingest.run_job(job.id)
    if job.status != IngestJob.Status.DONE:
        dataset.delete()
        raise ValueError(f"the charge points did not load: {job.error}")
    columns = {c["name"] for c in job.version.schema}
    withheld = [c for c in ADDRESS if c in columns]
    if not withheld or PERIOD not in columns:
        dataset.delete()
        raise LookupError(f"the charge points have no {' or '.join(ADDRESS)} column, or no "
                          f"{PERIOD}")
    dataset.restricted_columns = "\n".join(withheld)
    dataset.state = Dataset.State.PUBLISHED
    dataset.save()
    refresh_search_text(dataset)
    return dataset


def _ask(dataset: Dataset, resident, purpose: str) -> AccessRequest:
    """The resident's request for the withheld columns (theirs already, when there is one)."""
    item = AccessRequest.objects.filter(dataset=dataset, requester=resident).first()
    if item is not None:
        return item
    scope = grantscope.Scope(columns=tuple(dataset.withheld_columns), months=12)
    return access_requests.ask(resident, dataset, scope, purpose=purpose, safes=SAFES,
                               accepted_terms=True)
