"""A home's heat options page (thin: read the form, call ``heat_options``, render)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render

from commonground.heat import HeatInputError
from commonground.places.cache import NotLoaded

from . import services
from .heat_forms import HeatOptionsForm
from .heat_options import heat_options


def heat_options_page(request):
    """The form, and the household's options under it once answered (GET, no JS). A bad
    answer: the form again with the message by its field (400), nothing worked out."""
    form = HeatOptionsForm(request.GET)
    context = {"form": form, "result": None, "errors": {}, "query": ""}
    status = 200
    if form.asked():
        answers = form.answers()
        try:
            context["result"] = heat_options(answers)
            context["query"] = urlencode(answers, doseq=True)
        except (HeatInputError, services.HomeInputError) as exc:
            context["errors"] = {exc.field: str(exc)}
            status = 400
        except NotLoaded:
            return render(request, "places/not_loaded.html", status=503)
    return render(request, "energy/heat_options.html", context, status=status)
