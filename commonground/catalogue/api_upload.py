"""Uploading a new version with a dataset's write key (django-ninja, mounted at
``/api/catalogue`` beside the catalogue's read API): ``POST /resources/{id}/versions`` with a
``multipart/form-data`` body (``file``, optional ``sheet`` for a workbook) and a key of scope
write or both in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` starts an ingest
exactly as the resource's upload page does (``services.ingest``: the file is staged, then
checked now or by the worker), on behalf of the editor who made the key.

* 202: the ingest job started: its ``id``, ``status``, ``status_url`` (the JSON job) and
  ``page`` (the job's page, with the validation report).
* 401: no key, or a key we do not know. 403: a read key, a grantee's key, a key expired or
  revoked, or a key of another dataset (``detail`` says which). 404: no such resource.
* 400: no ``file`` part (or a ``sheet`` over 100 characters). 413: a file over
  ``COMMONGROUND_MAX_UPLOAD_BYTES``, refused while it streams in (``uploads.py``).
Nothing is written on any refusal: the key is checked before the body is read.
"""

from __future__ import annotations

from uuid import UUID

from django.http import JsonResponse
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from commonground.accounts import keys as api_keys
from commonground.apierrors import errors
from commonground.datastore.errors import IngestError

from .access_models import DatasetKey
from .models import Resource
from .services import datasetkeys, ingest

router = Router(tags=["catalogue"])

#: The JSON view of a job (``catalogue.api``), filled with the job's id.
JOB_STATUS_URL = "/api/catalogue/jobs/{}"
SHEET_MAX = 100

KEY_HEADERS = [
    {"in": "header", "name": "Authorization", "required": False, "schema": {"type": "string"},
     "description": "Bearer <the dataset's write key>"},
    {"in": "header", "name": "X-API-Key", "required": False, "schema": {"type": "string"},
     "description": "The dataset's write key (instead of Authorization)"}]
BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "The new version: CSV, Excel, GeoJSON, JSON or Parquet"},
        "sheet": {"type": "string", "maxLength": SHEET_MAX,
                  "description": "Excel only: the sheet to read"}}}}}}


class UploadStarted(Schema):
    id: str = Field(description="The ingest job")
    status: str = Field(description="queued, running, done, invalid or failed (a small file "
                                     "is checked at once; a large one by the worker)")
    status_url: str = Field(description="The job's progress and report as JSON")
    page: str = Field(description="The job's page")
    version: int | None = Field(None, description="The new version's number, once done")


class Refused(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail

    def response(self) -> JsonResponse:
        response = JsonResponse({"detail": self.detail}, status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="catalogue"'
        return response


def _secret(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key", "").strip() or None


def _write_key(request, resource: Resource | None) -> DatasetKey:
    secret = _secret(request)
    if not secret:
        raise Refused(401, "Send the dataset's write key as 'Authorization: Bearer <key>' or "
                           "'X-API-Key: <key>'.")
    key = api_keys.find(DatasetKey.objects.select_related("dataset", "created_by"), secret)
    if key is None:
        raise Refused(401, "Unknown key: check it was copied whole, or make a new one on the "
                           "dataset's keys page.")
    if resource is None:
        raise Refused(404, "No such resource.")
    problem = datasetkeys.write_problem(key, resource.dataset)
    if problem is not None:
        raise Refused(403, f"This key cannot upload to this resource: {problem}.")
    return key


def _upload(request):
    """The ``file`` part and ``sheet``; the body is read here, after the key was checked."""
    files = request.FILES  # parses the body: the upload handler may refuse the file
    refused = getattr(request, "upload_refused", None)
    if refused:
        raise Refused(413, f"{refused}. Nothing was changed.")
    upload = files.get("file")
    if upload is None:
        raise Refused(400, "file (form): send the new version as the multipart/form-data "
                           "part 'file'.")
    sheet = request.POST.get("sheet", "").strip()
    if len(sheet) > SHEET_MAX:
        raise Refused(400, f"sheet (form): at most {SHEET_MAX} characters.")
    return upload, sheet


@router.post("/resources/{resource_id}/versions", response={202: UploadStarted},
             url_name="catalogue_upload_version",
             openapi_extra={"parameters": KEY_HEADERS, "requestBody": BODY,
                            "responses": errors(400, 401, 403, 404, 413, 422)["responses"]},
             summary="Upload a new version of a resource (the dataset's write key)")
def upload_version(request, resource_id: UUID):
    """Starts an ingest of the file as the resource's upload page does: the current version
    stays live until the new file has been checked. Poll ``status_url`` (as an editor) or
    open ``page`` for the report."""
    resource = Resource.objects.select_related("dataset").filter(pk=resource_id).first()
    try:
        key = _write_key(request, resource)
        upload, sheet = _upload(request)
        try:
            job = ingest.stage_upload(resource, upload.chunks(), filename=upload.name,
                                      user=key.created_by, sheet=sheet)
        except IngestError as exc:  # over the limit: nothing kept
            raise Refused(413, f"{exc}. Nothing was changed.") from None
    except Refused as refused:
        return refused.response()
    job = ingest.start(job)
    api_keys.touch(key)
    return Status(202, {"id": str(job.id), "status": job.status,
                        "status_url": JOB_STATUS_URL.format(job.id),
                        "page": reverse("catalogue:job", args=[job.id]),
                        "version": job.version.number if job.version_id else None})
