"""Ingest job pages: progress, the validation report, type overrides and re-runs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from commonground.datastore.errors import IngestError

from . import access
from .forms import OverrideForm
from .models import IngestJob
from .services import ingest, reclaim


def job_detail(request, job_id):
    reclaim.fail_stale_jobs()
    job = get_object_or_404(IngestJob.objects.select_related("resource__dataset", "version"),
                            pk=job_id)
    dataset = job.resource.dataset
    if not access.can_edit(request.user, dataset):
        raise PermissionDenied("Only the publisher's editors can see ingest reports.")
    validation = (job.report or {}).get("validation") or {}
    columns = validation.get("columns", [])
    form = OverrideForm(request.POST or None, columns=columns)
    if request.method == "POST" and form.is_valid() and not job.active:
        try:
            again = ingest.rerun(job, overrides=form.overrides(), user=request.user,
                                 sheet=request.POST.get("sheet", ""))
        except IngestError as exc:
            messages.error(request, str(exc))
            return redirect(job.resource)
        ingest.start(again)
        return redirect(reverse("catalogue:job", args=[again.id]))
    return render(request, "catalogue/job.html", {
        "job": job, "dataset": dataset, "resource": job.resource, "report": job.report or {},
        "columns": columns, "form": form, "sheets": _sheets(job),
        "rows": zip(columns, [form[f"type_{i}"] for i in range(len(columns))], strict=True)})


def _sheets(job: IngestJob) -> list[str]:
    """A kept workbook's sheet names, so a user can pick another sheet after a failure."""
    if job.active or not job.upload or not job.filename.lower().endswith(".xlsx") \
            or not job.upload_path.exists() or (job.report or {}).get("file"):
        return []
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(job.upload_path, read_only=True)
        try:
            return list(workbook.sheetnames)
        finally:
            workbook.close()
    except Exception:  # not a readable workbook: the job's error already says so
        return []


def job_status(request, job_id):
    """Progress as JSON, polled by the job page (and usable by scripts)."""
    reclaim.fail_stale_jobs()
    job = get_object_or_404(IngestJob.objects.select_related("resource__dataset"), pk=job_id)
    if not access.can_edit(request.user, job.resource.dataset):
        raise PermissionDenied
    return JsonResponse({"id": str(job.id), "status": job.status, "progress": job.progress,
                         "message": job.message, "error": job.error,
                         "version": job.version.number if job.version_id else None})
