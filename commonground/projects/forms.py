"""The forms officers fill in to add and edit a project: its details, its partners (chosen
from the register by id, or added by name and kind) with their roles, and its funding. They
check each value and name the field; the use cases in ``services`` check who may act and what
needs the whole project (a funder typed by name must be a partner)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.forms import formset_factory
from django.utils.text import slugify

from . import access
from .dates import day_range
from .models import RESERVED_SLUGS, PartnerOrganisation, Partnership, Project

MAX_TERMS = 20  # themes or technologies on one project: more is a list pasted by mistake
MAX_LINES = 50  # links, sources, notes or data collected


def _terms(text: str, label: str) -> list[str]:
    """Comma-separated terms as the register writes them: "Citizen engagement" →
    ``citizen-engagement``."""
    out = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        term = slugify(part)
        if not term or len(term) > 50:
            raise ValidationError(f"{label}: “{part[:40]}” is not a short term (letters, "
                                  "numbers and hyphens, at most 50)")
        out.append(term)
    out = list(dict.fromkeys(out))
    if len(out) > MAX_TERMS:
        raise ValidationError(f"{label}: at most {MAX_TERMS} terms")
    return out


def _lines(text: str, label: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise ValidationError(f"{label}: at most {MAX_LINES} lines")
    for number, line in enumerate(lines, 1):
        if len(line) > 500:
            raise ValidationError(f"{label}, line {number}: at most 500 characters")
    return lines


def _url(value: str, label: str, number: int) -> str:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError(f"{label}, line {number}: “{value[:60]}” is not a web address "
                              "(http:// or https://)") from None
    return value


class ProjectForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=None, to_field_name="slug", label="Organisation keeping the record",
        help_text="Its editors keep the project up to date; its members see the draft")
    slug = forms.CharField(
        max_length=100, required=False, label="Project id",
        help_text="Used in its address, e.g. mk-parking-sensors. Left empty: made from the "
                  "title. It cannot change later.")
    title = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False,
                              help_text="What it does, for whom, in plain words")
    status = forms.ChoiceField(choices=Project.Status.choices, initial=Project.Status.UNKNOWN)
    start = forms.CharField(max_length=10, required=False, label="Started",
                            help_text="As the sources give it: 2014, 2014-05 or 2014-05-01")
    end = forms.CharField(max_length=10, required=False, label="Ended",
                          help_text="Empty: still running or not known")
    themes = forms.CharField(required=False, help_text="Separated by commas, e.g. mobility, "
                                                       "energy, data")
    technologies = forms.CharField(required=False, help_text="Separated by commas, e.g. "
                                                             "sensors, app, autonomous vehicles")
    champion = forms.CharField(max_length=300, required=False,
                               help_text="The named person or role who champions it")
    city_wide = forms.BooleanField(required=False, label="Works across the whole city",
                                   help_text="Then it has no footprint of its own")
    links = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            help_text="One a line: a title, a bar, the address, e.g. "
                                      "“Project site | https://example.org”")
    sources = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              help_text="Addresses the facts come from, one a line")
    uncertain = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                label="Uncertain facts",
                                help_text="Facts inferred, conflicting or thinly sourced, one a "
                                          "line, e.g. “end: the last news is from 2019”")
    data_collected = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Data it collects",
        help_text="One a line; to link a published dataset, add a bar and its short name, "
                  "e.g. “Parking bay sensors | car-park-occupancy”")
    people_reached = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                     label="Who is involved or affected")
    social_difference_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                              required=False,
                                              label="Notes on social difference")

    def __init__(self, *args, user=None, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.project = user, project
        self.fields["owner"].queryset = access.owning_organisations(user).order_by("name")
        if project is not None:  # the id is the address; the owner keeps the record
            del self.fields["slug"], self.fields["owner"]

    @staticmethod
    def initial_for(project: Project) -> dict:
        data = project.data.select_related("dataset")
        return {
            "title": project.title, "summary": project.summary, "status": project.status,
            "start": project.start, "end": project.end,
            "themes": ", ".join(project.themes), "technologies": ", ".join(project.technologies),
            "champion": project.champion, "city_wide": project.city_wide,
            "links": "\n".join(f"{link.get('title', '')} | {link.get('url', '')}"
                               for link in project.links if isinstance(link, dict)),
            "sources": "\n".join(project.sources), "uncertain": "\n".join(project.uncertain),
            "data_collected": "\n".join(
                f"{d.description} | {d.dataset.name}" if d.dataset else d.description
                for d in data),
            "people_reached": project.people_reached,
            "social_difference_notes": project.social_difference_notes}

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip()
        if slug and slugify(slug) != slug.lower():
            raise ValidationError("Use lower-case letters, numbers and hyphens only")
        return slug.lower()

    def clean_start(self) -> str:
        return self._date("start")

    def clean_end(self) -> str:
        return self._date("end")

    def _date(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        try:
            day_range(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return value

    def clean_themes(self) -> list[str]:
        return _terms(self.cleaned_data["themes"], "Themes")

    def clean_technologies(self) -> list[str]:
        return _terms(self.cleaned_data["technologies"], "Technologies")

    def clean_links(self) -> list[dict]:
        out = []
        for number, line in enumerate(_lines(self.cleaned_data["links"], "Links"), 1):
            title, bar, url = line.rpartition("|")
            title, url = (title.strip(), url.strip()) if bar else ("", line)
            out.append({"title": title or url, "url": _url(url, "Links", number)})
        return out

    def clean_sources(self) -> list[str]:
        lines = _lines(self.cleaned_data["sources"], "Sources")
        return [_url(line, "Sources", number) for number, line in enumerate(lines, 1)]

    def clean_uncertain(self) -> list[str]:
        return _lines(self.cleaned_data["uncertain"], "Uncertain facts")

    def clean_data_collected(self) -> list[tuple[str, object]]:
        """(description, dataset or None) for each line; a dataset only one the editor may
        link (``access.linkable_datasets``)."""
        out = []
        linkable = access.linkable_datasets(self.user)
        for number, line in enumerate(_lines(self.cleaned_data["data_collected"],
                                             "Data it collects"), 1):
            description, bar, name = line.rpartition("|")
            description, name = (description.strip(), name.strip()) if bar else (line, "")
            dataset = linkable.filter(name=name).first() if name else None
            if name and dataset is None:
                raise ValidationError(f"Data it collects, line {number}: “{name[:60]}” is not "
                                      "a published, public dataset you can link (records "
                                      "about people cannot be linked)")
            out.append((description[:500] or name, dataset))
        return out

    def clean(self):
        data = super().clean()
        if self.project is None and "slug" in data and data.get("title"):
            slug = data["slug"] or slugify(data["title"])[:100].strip("-")
            if not slug:
                self.add_error("slug", "Give the project an id: the title has no letters or "
                                       "numbers to make one from")
            elif slug in RESERVED_SLUGS:
                self.add_error("slug", f"“{slug}” is an address of the register: choose "
                                       "another id")
            elif Project.objects.filter(slug=slug).exists():
                self.add_error("slug", f"A project with the id “{slug}” exists already: "
                                       "choose another")
            else:
                data["slug"] = slug
        start, end = day_range(data.get("start", "")), None
        try:
            end = day_range(data.get("end", ""))
        except ValueError:
            pass  # already named by clean_end
        if start and end and end[1] < start[0]:
            self.add_error("end", "It cannot end before it started")
        return data


class _Organisations(forms.Form):
    """The register's organisations offered are those ``user`` may see
    (``access.visible_organisations``): a draft's new partner is not offered to others."""

    chooser = ""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.visible = access.visible_organisations(user)
        self.fields[self.chooser].queryset = self.visible.order_by("name")


class PartnerForm(_Organisations):
    """One partner: an organisation of the register (by id) or a new one (name and kind),
    and its role. A row left empty is skipped."""

    chooser = "organisation"
    organisation = forms.ModelChoiceField(
        queryset=PartnerOrganisation.objects.none(), to_field_name="slug", required=False,
        label="Organisation in the register",
        error_messages={"invalid_choice": "That is not an organisation in the register"})
    new_name = forms.CharField(max_length=300, required=False, label="Or a new one: its name")
    new_kind = forms.ChoiceField(choices=[("", "—")] + PartnerOrganisation.Kind.choices,
                                 required=False, label="Its kind")
    role = forms.ChoiceField(choices=[("", "—")] + Partnership.Role.choices, required=False)

    def clean(self):
        data = super().clean()
        organisation, name = data.get("organisation"), data.get("new_name", "").strip()
        if not (organisation or name or data.get("new_kind") or data.get("role")):
            return data  # an empty row
        if organisation and name:
            self.add_error("new_name", "Choose an organisation from the register or name a "
                                       "new one, not both")
        elif not organisation and not name and not self.has_error("organisation"):
            self.add_error("organisation", "Choose the organisation, or name a new one")
        if name and not data.get("new_kind"):
            self.add_error("new_kind", "Say what kind of organisation it is")
        if name and self.visible.filter(name__iexact=name).exists():
            self.add_error("new_name", f"“{name[:60]}” is in the register already: choose "
                                       "it from the list")
        if not data.get("role"):
            self.add_error("role", "Choose the organisation's role in the project")
        return data


class FundingForm(_Organisations):
    """One grant or contract: who paid (from the register, or a partner named above), the
    programme, the amount in pounds where a source states it, and that source."""

    chooser = "funder"
    funder = forms.ModelChoiceField(
        queryset=PartnerOrganisation.objects.none(), to_field_name="slug", required=False,
        label="Funder in the register",
        error_messages={"invalid_choice": "That is not an organisation in the register"})
    funder_name = forms.CharField(max_length=300, required=False,
                                  label="Or a new partner's name",
                                  help_text="A new organisation added as a partner above")
    programme = forms.CharField(max_length=500, required=False)
    amount_gbp = forms.IntegerField(min_value=0, max_value=10**12, required=False,
                                    label="Amount (£)", help_text="Only where a source states it")
    source = forms.URLField(max_length=500, required=False, assume_scheme="https",
                            help_text="The address that states it")

    def clean(self):
        data = super().clean()
        filled = [k for k in ("funder", "funder_name", "programme", "amount_gbp", "source")
                  if data.get(k) not in (None, "")]
        if not filled:
            return data
        if data.get("funder") and data.get("funder_name", "").strip():
            self.add_error("funder_name", "Choose the funder from the register or name a new "
                                          "partner, not both")
        elif not data.get("funder") and not data.get("funder_name", "").strip() and \
                not self.has_error("funder"):
            self.add_error("funder", "Say who gave the money")
        return data


PartnerFormSet = formset_factory(PartnerForm, extra=3, max_num=60, validate_max=True)
FundingFormSet = formset_factory(FundingForm, extra=2, max_num=30, validate_max=True)


def partner_initial(project: Project) -> list[dict]:
    return [{"organisation": s.organisation.slug, "role": s.role}
            for s in project.partnerships.select_related("organisation")]


def funding_initial(project: Project) -> list[dict]:
    return [{"funder": f.funder.slug, "programme": f.programme, "amount_gbp": f.amount_gbp,
             "source": f.source} for f in project.funding.select_related("funder")]


class LinkForm(forms.Form):
    """Link (or unlink) a dataset, a consultation or a data request to the project."""

    KINDS = [("dataset", "Dataset"), ("consultation", "Consultation"),
             ("request", "Data request")]
    kind = forms.ChoiceField(choices=KINDS)
    key = forms.CharField(max_length=100, label="Which one",
                          help_text="A dataset's short name, or a consultation's or request's "
                                    "number")
    remove = forms.BooleanField(required=False)
