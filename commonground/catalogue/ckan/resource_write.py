"""Changing resources through CKAN: ``resource_create``, ``resource_update``,
``resource_patch`` and ``resource_delete`` (and a package's ``resources`` list).

A file, sent as ``ckanapi`` sends it (multipart, the ``upload`` part), or a ``url`` becomes a
new version exactly as the resource page's upload does: an ingest job
(:mod:`commonground.catalogue.services.ingest`) checks it and, when it is good, makes an
immutable version and the resource's live one. A small file is checked during the call; a
large file or a URL by the worker (the answer's ``ingest`` says the job's state and page).

* A file that fails its checks is a Validation Error on ``upload`` with the ingest's reason:
  a new resource is not kept, an existing one keeps its live version (the job's page, named
  in the message, lets an editor choose column types and try again).
* ``resource_update`` and ``resource_patch`` change the fields given (``name``,
  ``description``) and keep the rest; a ``url`` that is not the resource's own download
  address fetches a new version from it.
* A live feed's resource is the feed's own: changed on the feed's page, never here.

Rights as the dataset's: its organisation's editors (Not Found for a dataset the caller may
not see, Authorization Error for one they may not change).
"""

from __future__ import annotations

import shutil

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from commonground.datastore import storage
from commonground.datastore.errors import IngestError
from commonground.datastore.fetch import check_url

from ..feed_resources import FEED
from ..models import Dataset, IngestJob, Resource
from ..services import ingest
from . import serialise
from .context import Context, acting_user, changes_data
from .errors import NotFound, ValidationError
from .params import parse_uuid, required_text, text

FAILED = (IngestJob.Status.INVALID, IngestJob.Status.FAILED)


def refuse_feeds(resources) -> None:
    feed = next(iter(resources), None)
    if feed is not None:
        raise ValidationError({"id": [f"Resource {feed.id} is a live feed's: change it on the "
                                      f"feed's page ({feed.url})"]})


def delete_resource(resource: Resource) -> None:
    """Delete the resource, its versions and (once that is committed) their files."""
    folder = storage.location(settings.COMMONGROUND_DATASTORE,
                              f"{resource.dataset_id}/{resource.id}")
    resource.delete()
    transaction.on_commit(lambda: storage.delete_tree(folder))


def _editable(context: Context, rid, action: str) -> Resource:
    from .package_write import editable_dataset

    acting_user(context, action)
    pk = parse_uuid(rid)
    resource = Resource.objects.select_related("dataset").filter(pk=pk).first() if pk else None
    if resource is None:
        raise NotFound("Resource was not found.")
    try:
        editable_dataset(context, str(resource.dataset_id), action)
    except NotFound:
        raise NotFound("Resource was not found.") from None  # the same whether hidden or missing
    if resource.kind == FEED:
        refuse_feeds([resource])
    return resource


def _source(data: dict, request=None, resource: Resource | None = None):
    """The new file (an upload) or web address, or (None, "") when there is none; a url
    that is the resource's own download address (as ``resource_show`` gave it) is none."""
    upload = data.get("upload")
    if upload in (None, ""):
        upload = None
    elif not isinstance(upload, UploadedFile):
        raise ValidationError({"upload": ["Send the file as the multipart/form-data part "
                                          "'upload'"]})
    url = text(data, "url").strip()
    if upload is not None:
        return upload, ""
    if resource is not None and url in (resource.url, serialise.resource_url(request, resource)):
        url = ""
    if url:
        try:
            check_url(url, allow_private=settings.COMMONGROUND_FETCH_ALLOW_PRIVATE)
        except IngestError as exc:
            raise ValidationError({"url": [str(exc)]}) from None
    return None, url


def _start(context: Context, resource: Resource, upload, url: str) -> IngestJob:
    """The ingest job for the new file, started (run now when small)."""
    try:
        if upload is not None:
            job = ingest.stage_upload(resource, upload.chunks(), filename=upload.name,
                                      user=context.user)
        else:
            job = ingest.new_job(resource, filename=url.rsplit("/", 1)[-1] or "download",
                                 user=context.user, source_url=url)
    except IngestError as exc:  # over the size limit: nothing kept
        raise ValidationError({"upload": [f"{exc}. Nothing was changed."]}) from None
    return ingest.start(job)


def _why(job: IngestJob) -> str:
    return job.error or job.message or "the file was not ingested"


def _answer(context: Context, resource: Resource, job: IngestJob | None) -> dict:
    resource = Resource.objects.select_related("dataset", "current_version").get(pk=resource.pk)
    out = serialise.resource_dict(context.request, resource)
    if job is not None:
        out["ingest"] = {"id": str(job.id), "status": job.status,
                         "page": context.request.build_absolute_uri(
                             reverse("catalogue:job", args=[job.id]))}
    return out


def create_resource(context: Context, dataset: Dataset, data: dict,
                    position: int | None = None) -> tuple[Resource, IngestJob]:
    """A new resource of ``dataset`` from ``data`` (its file or url), its ingest started."""
    if not isinstance(data, dict):
        raise ValidationError({"resources": ["Each resource must be a dictionary"]})
    upload, url = _source(data)
    if upload is None and not url:
        raise ValidationError({"url": ["Missing value: give the file's web address, or send "
                                       "the file as 'upload'"]})
    name = text(data, "name").strip() or (upload.name if upload else url.rsplit("/", 1)[-1])
    resource = Resource.objects.create(
        dataset=dataset, name=name[:300], description=text(data, "description"),
        kind=Resource.Kind.UPLOAD if upload else Resource.Kind.URL, url=url,
        position=dataset.resources.count() if position is None else position)
    return resource, _start(context, resource, upload, url)


def _discard(resource: Resource, job: IngestJob) -> None:
    """Forget a new resource whose first file failed (its staged file too)."""
    if job.upload:
        shutil.rmtree(job.upload_path.parent, ignore_errors=True)
    resource.delete()


@changes_data
def resource_create(context: Context, data: dict) -> dict:
    """Add a resource to a dataset, from a file or a web address.

    :param package_id: the dataset's id or name
    :type package_id: string
    :param upload: the file (multipart/form-data), or
    :param url: its web address (fetched by the worker)
    :param name: (optional, default: the file's name)
    :param description: (optional)

    :returns: the resource, as ``resource_show`` with ``ingest`` (the job: ``id``,
        ``status``, ``page``)
    :rtype: dictionary
    """
    from .package_write import editable_dataset

    dataset = editable_dataset(context, required_text(data, "package_id"), "resource_create")
    resource, job = create_resource(context, dataset, data)
    if job.status in FAILED:
        _discard(resource, job)
        raise ValidationError({"upload" if job.upload else "url": [
            f"{_why(job)}. Nothing was changed."]})
    return _answer(context, resource, job)


def _update(context: Context, data: dict, action: str) -> dict:
    resource = _editable(context, required_text(data, "id"), action)
    upload, url = _source(data, context.request, resource)
    changed = [f for f in ("name", "description") if f in data]
    for field in changed:
        setattr(resource, field, text(data, field)[:300] if field == "name" else
                text(data, field))
    if "name" in changed and not resource.name.strip():
        raise ValidationError({"name": ["Missing value"]})
    job = _start(context, resource, upload, url) if upload is not None or url else None
    if job is not None and job.status in FAILED:  # nothing else changes
        raise ValidationError({"upload" if job.upload else "url": [
            f"{_why(job)}. The live version is unchanged; choose column types and try again "
            f"at {context.request.build_absolute_uri(reverse('catalogue:job', args=[job.id]))}"]})
    if url:
        resource.url, resource.kind = url, Resource.Kind.URL
        changed += ["url", "kind"]
    if changed:
        resource.save(update_fields=[*changed, "modified"])
    return _answer(context, resource, job)


@changes_data
def resource_update(context: Context, data: dict) -> dict:
    """Change a resource: the fields given change, the others are kept. A file (``upload``)
    or a new ``url`` becomes its next version.

    :param id: the resource's id
    :type id: string

    Other parameters as ``resource_create``.

    :rtype: dictionary
    """
    return _update(context, data, "resource_update")


@changes_data
def resource_patch(context: Context, data: dict) -> dict:
    """Change some fields of a resource, keeping the others (as ``resource_update``).

    :param id: the resource's id
    :type id: string

    :rtype: dictionary
    """
    return _update(context, data, "resource_patch")


@changes_data
def resource_delete(context: Context, data: dict) -> None:
    """Delete a resource, its versions and their files.

    :param id: the resource's id
    :type id: string
    """
    delete_resource(_editable(context, required_text(data, "id"), "resource_delete"))
    return None


def replace_resources(context: Context, dataset: Dataset, items: list) -> None:
    """A package's ``resources`` list: listed ids kept (name, description and order as
    given), unknown ones made from their ``url``, unlisted ones deleted."""
    existing = {str(r.id): r for r in dataset.resources.all()}
    listed = {str(item.get("id")) for item in items if isinstance(item, dict)}
    refuse_feeds([r for rid, r in existing.items() if rid not in listed and r.kind == FEED])
    for rid, resource in existing.items():
        if rid not in listed:
            delete_resource(resource)
    for position, item in enumerate(items):
        try:
            _listed(context, dataset, existing, item, position)
        except ValidationError as exc:  # CKAN's shape: one dict of errors a resource
            raise ValidationError({"resources": [
                exc.errors if i == position else {} for i in range(len(items))]}) from None


def _listed(context: Context, dataset: Dataset, existing: dict, item, position: int) -> None:
    resource = existing.get(str(item.get("id"))) if isinstance(item, dict) else None
    if resource is None:
        create_resource(context, dataset, item, position)
        return
    resource.position = position
    for field in ("name", "description"):
        if field in item:
            setattr(resource, field, text(item, field))
    resource.save(update_fields=["position", "name", "description", "modified"])
