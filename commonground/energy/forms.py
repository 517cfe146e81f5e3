"""The form organisations use to publish an energy offer."""

from __future__ import annotations

from django import forms

from commonground.catalogue.access import publishing_organisations
from commonground.places.cache import city_state

from .matching import MEASURES
from .models import Offer


class OfferForm(forms.ModelForm):
    areas = forms.CharField(
        required=False, label="Where it is offered",
        help_text="Ward names or area codes, separated by commas; empty: the whole city",
        widget=forms.TextInput())
    measures = forms.MultipleChoiceField(
        required=False, label="What it is for", choices=list(MEASURES.items()),
        widget=forms.CheckboxSelectMultiple(),
        help_text="Tick each thing it pays for, installs or sells: residents see a heat pump "
                  "offer beside the heat pump, an insulation offer beside insulation")

    class Meta:
        model = Offer
        fields = ["organisation", "kind", "title", "summary", "measures", "terms", "tenure",
                  "home", "heating", "low_income_only", "minimum_gbp", "building", "group_threshold", "active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = publishing_organisations(user)
        if self.instance.pk:  # people registered with this organisation: it cannot change
            del self.fields["organisation"]
        if self.instance.pk and self.instance.area_codes:
            state = city_state()
            names = {a.code: a.name for a in state.by_geography.get("ward", [])}
            self.initial["areas"] = ", ".join(names.get(c, c) for c in self.instance.area_codes)

    def clean_measures(self) -> list[str]:
        """Each ticked once, in ``MEASURES``' order (none: not stated)."""
        ticked = set(self.cleaned_data["measures"])
        return [k for k in MEASURES if k in ticked]

    def clean_areas(self) -> list[str]:
        """Ward names or codes of any geography of the city, checked."""
        state = city_state()
        by_name = {a.name.casefold(): a.code for a in state.by_geography.get("ward", [])}
        codes = {code for (_, code) in state.areas}
        out = []
        for part in (p.strip() for p in self.cleaned_data["areas"].split(",")):
            if not part:
                continue
            code = by_name.get(part.casefold()) or (part.upper() if part.upper() in codes
                                                    else None)
            if code is None:
                raise forms.ValidationError(f"“{part}” is not a ward name or an area code of "
                                            f"{state.run.city_name}")
            out.append(code)
        return out

    def save(self, commit: bool = True) -> Offer:
        self.instance.area_codes = self.cleaned_data["areas"]
        return super().save(commit)


class InterestForm(forms.Form):
    """A registration's contact details, checked as the database will store them."""

    name = forms.CharField(max_length=200, strip=True)
    email = forms.EmailField(max_length=254)
    phone = forms.RegexField(regex=r"^[0-9 +()\-]{0,40}$", max_length=40, required=False,
                             error_messages={"invalid": "use digits, spaces and + ( ) - only"})
