"""The heat options form: the questions, their choices in plain words, and the answers read
from a request as ``heat_options`` takes them. The answers are checked by
``commonground.heat.household`` (one rule for the page, the API and the CLI), not here."""

from __future__ import annotations

from django import forms

from commonground.heat import BENEFITS
from commonground.heat.household import COUNCIL_TAX_BANDS, EPC_BANDS
from commonground.solar.homes import HOME_KINDS

from .heat_options import ANSWERS

#: Heating in plain words, in the order of Census 2021 TS046 (the key is the package's).
HEATING_WORDS = {
    "gas": "Gas boiler (mains gas)",
    "electric_storage": "Electric storage heaters",
    "electric_direct": "Other electric heaters, or an electric boiler",
    "oil": "Oil boiler",
    "lpg": "Gas from a tank or bottles (LPG)",
    "solid_fuel": "Wood, coal or another solid fuel",
    "heat_network": "Heat from a shared system for the building or area (heat network)",
    "none": "No central heating",
}
TENURE_WORDS = {
    "owner": "I own it (outright, with a mortgage, or shared ownership)",
    "social_renter": "I rent from the council or a housing association",
    "private_renter": "I rent from a private landlord or letting agency",
}
YES_NO = (("", "Not sure"), ("yes", "Yes"), ("no", "No"))


class _Ticked(forms.MultipleChoiceField):
    """Ticked boxes, passed on as they are: ``household`` names a wrong one."""

    def validate(self, value):
        pass


class HeatOptionsForm(forms.Form):
    """Reads the answers; ``answers()`` gives them to ``heat_options`` unchanged but for blanks
    and the benefits' "not said" (no box ticked) against "none of these"."""

    home_type = forms.CharField(required=False, widget=forms.RadioSelect(
        choices=[(k, kind.label) for k, kind in HOME_KINDS.items()]))
    heating = forms.CharField(required=False, widget=forms.RadioSelect(
        choices=list(HEATING_WORDS.items())))
    tenure = forms.CharField(required=False, widget=forms.RadioSelect(
        choices=list(TENURE_WORDS.items())))
    benefits = _Ticked(required=False, widget=forms.CheckboxSelectMultiple,
                       choices=[*BENEFITS.items(), ("none", "None of these")])
    epc_band = forms.CharField(required=False, widget=forms.Select(
        choices=[("", "Not known"), *((b, b) for b in EPC_BANDS)]))
    council_tax_band = forms.CharField(required=False, widget=forms.Select(
        choices=[("", "Not known"), *((b, b) for b in COUNCIL_TAX_BANDS)]))
    name_on_electricity_bill = forms.CharField(required=False,
                                               widget=forms.Select(choices=YES_NO))
    annual_fuel_kwh = forms.CharField(required=False, max_length=40)
    postcode = forms.CharField(required=False, max_length=20)

    def asked(self) -> bool:
        """Whether the household has answered at all (the first visit shows only the form)."""
        return any(self.data.get(k) for k in ("home_type", "heating", "tenure"))

    def answers(self) -> dict:
        values = {k: self[k].value() for k in ANSWERS}
        values["benefits"] = list(values["benefits"] or []) or None
        return {k: v for k, v in values.items() if v not in ("", None)}
