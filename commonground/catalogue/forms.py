"""Forms for datasets, resources, uploads and type overrides."""

from __future__ import annotations

import re

from django import forms
from django.utils.text import slugify

from commonground.datastore.inference import BLANK, TYPES

from .access import publishing_organisations
from .models import ACCESS_LEVELS, Dataset, Resource, Tag, Theme

TAG = re.compile(r"^[\w .\-]{1,100}$")
#: Column types a grant's period can apply to.
PERIOD_TYPES = ("date", "datetime")


def live_columns(dataset: Dataset) -> dict[str, str]:
    """Column name → type of the data columns of the dataset's live versions (all its
    resources); empty for a new dataset or one with no version yet."""
    if dataset._state.adding:
        return {}
    columns: dict[str, str] = {}
    for resource in dataset.resources.select_related("current_version"):
        if resource.current_version_id:
            for column in resource.current_version.schema or []:
                columns.setdefault(column["name"], column.get("type", ""))
    return columns


class DatasetForm(forms.ModelForm):
    tags_text = forms.CharField(
        label="Tags", required=False,
        help_text="Separate tags with commas, e.g. health, GP practices, access")
    themes = forms.ModelMultipleChoiceField(queryset=Theme.objects.all(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    access = forms.ChoiceField(
        label="Access", required=False, widget=forms.RadioSelect,
        choices=[(level, label) for level, (label, _) in ACCESS_LEVELS.items()],
        help_text="Restricted data is findable and summarised in the open (counts per area "
                  "with small ones hidden); people ask for a grant to read its rows.")

    class Meta:
        model = Dataset
        fields = ["title", "name", "organisation", "notes", "licence", "themes", "frequency",
                  "contact_name", "contact_email", "source", "about_people",
                  "restricted_columns", "period_column", "access_terms", "data_as_of", "nature", "row_singular", "row_plural", "column_names",
                  "site_column", "lens_filters"]
        widgets = {"column_names": forms.Textarea(attrs={"rows": 2}),
                   "restricted_columns": forms.Textarea(attrs={"rows": 2}),
                   "access_terms": forms.Textarea(attrs={"rows": 3}),
                   "lens_filters": forms.Textarea(attrs={"rows": 2}),
                   "data_as_of": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"name": "Lower case letters, numbers and hyphens; made from the title if "
                              "left empty. It appears in links and cannot change later.",
                      "notes": "What the data is, who it is for and its known gaps. Markdown: "
                               "*emphasis*, lists, links."}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = publishing_organisations(user)
        self.fields["organisation"].label = "Publisher"
        self.fields["name"].required = False
        self.fields["nature"].required = False  # left out: places or services (the default)
        self.fields["access"].initial = self.instance.access
        order = [n for n in self.fields if n != "access"]
        order.insert(order.index("restricted_columns"), "access")
        self.order_fields(order)
        if not self.instance._state.adding:
            self.fields["name"].disabled = True
            self.fields["tags_text"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def clean_name(self):
        name = self.cleaned_data.get("name") or slugify(self.data.get("title", ""))[:100]
        if not self.instance._state.adding:
            return self.instance.name
        if not name:
            raise forms.ValidationError("Give the dataset a title or a short name.")
        if Dataset.objects.filter(name=name).exists():
            raise forms.ValidationError(f"The short name “{name}” is taken; choose another.")
        return name

    def clean_tags_text(self):
        tags = [t.strip() for t in self.cleaned_data.get("tags_text", "").split(",") if t.strip()]
        bad = [t for t in tags if not TAG.match(t)]
        if bad:
            raise forms.ValidationError(
                f"Tags may hold letters, numbers, spaces, dots and hyphens only: {', '.join(bad)}")
        return list(dict.fromkeys(t.lower() for t in tags))

    def clean_nature(self):
        return self.cleaned_data.get("nature") or Dataset.Nature.SERVICE

    def clean_lens_filters(self):
        from commonground.lens.filters import FilterError, parse

        text = self.cleaned_data.get("lens_filters", "")
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    parse(line)
                except FilterError as exc:
                    raise forms.ValidationError(f"line {number}: {exc}") from None
        return text

    def clean_column_names(self):
        from .services.lens import parse_column_names

        text = self.cleaned_data.get("column_names", "")
        try:
            parse_column_names(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean_access(self):
        """Left out (an older client): the dataset keeps its access."""
        return self.cleaned_data.get("access") or self.instance.access

    def clean(self):
        data = super().clean()
        access = data.get("access") or self.instance.access
        columns = live_columns(self.instance)
        if access == "restricted" and self.instance.pk and self.instance.resources.filter(
                kind=Resource.Kind.FEED).exists():
            self.add_error("access", "This dataset is a live feed's catalogue entry: its feed "
                           "page and APIs are the feed's own, so restrict it by making the "
                           "feed private on the feed's page instead.")
        named = [line.strip() for line in data.get("restricted_columns", "").splitlines()
                 if line.strip()]
        if named and access != "restricted":
            self.add_error("restricted_columns", "Only a restricted dataset has restricted "
                           "columns: choose “Restricted” under Access, or empty this box.")
        else:
            unknown = next((c for c in named if c not in columns), None)
            if unknown is not None:
                self.add_error("restricted_columns", _not_a_column(unknown, columns))
            elif named and len(set(named)) == len(columns):
                self.add_error("restricted_columns", "These are all the columns: leave the "
                               "box empty to restrict whole rows.")
            else:
                data["restricted_columns"] = "\n".join(dict.fromkeys(named))
        period = data.get("period_column", "").strip()
        if period:
            if period not in columns:
                self.add_error("period_column", _not_a_column(period, columns))
            elif columns[period] not in PERIOD_TYPES:
                self.add_error("period_column", f"Column “{period}” holds {columns[period]} "
                               "values; the period column must hold dates or date-times.")
        data["period_column"] = period
        return data

    def save(self, commit=True):
        access = self.cleaned_data["access"]
        self.instance.private = access == "private"
        self.instance.restricted = access == "restricted"
        dataset = super().save(commit=commit)
        if commit:
            dataset.tags.set([Tag.objects.get_or_create(name=t)[0]
                              for t in self.cleaned_data["tags_text"]])
        return dataset


def _not_a_column(name: str, columns: dict[str, str]) -> str:
    if not columns:
        return (f"“{name}” is not a column: the dataset has no live data yet. Upload a file, "
                "then name its columns here.")
    return f"“{name}” is not a column of the live data; its columns are: {', '.join(columns)}"


class ResourceForm(forms.Form):
    name = forms.CharField(max_length=300, help_text="e.g. “GP practices, January 2020”")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    file = forms.FileField(required=False, help_text=(
        "CSV or TSV (any common encoding and delimiter), Excel .xlsx, GeoJSON, GeoPackage, "
        "zipped Shapefile, Parquet or JSON records"))
    url = forms.URLField(required=False, label="…or the address of the file on the web",
                         assume_scheme="https")
    sheet = forms.CharField(required=False, max_length=100,
                            help_text="Excel only: the sheet to read (default: the first)")

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("url")):
            raise forms.ValidationError("Upload a file or give its web address (one of the two).")
        return data


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A new version of this resource: the current one stays "
                                     "live until the new file has been checked.")
    sheet = forms.CharField(required=False, max_length=100,
                            help_text="Excel only: the sheet to read")


class OverrideForm(forms.Form):
    """One type choice per column of a validation report."""

    def __init__(self, *args, columns: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        # "make the column text" is the type string; "<type>:blank" keeps a type and leaves
        # the values that do not fit it empty (listed in the report, kept in the original)
        choices = [(t, t) for t in TYPES] + [
            (f"{t}{BLANK}", f"{t}, leave values that don't fit empty")
            for t in TYPES if t != "string"]
        for i, column in enumerate(columns):
            initial = column["type"] + (BLANK if column.get("blank") else "")
            self.fields[f"type_{i}"] = forms.ChoiceField(
                choices=choices, initial=initial, label=column["name"])
        self.columns = columns

    def overrides(self) -> dict[str, str]:
        """Only the columns whose type differs from what was inferred."""
        out = {}
        for i, column in enumerate(self.columns):
            chosen = self.cleaned_data[f"type_{i}"]
            if chosen != column["inferred"]:
                out[column["name"]] = chosen
        return out
