"""The difference lens's findings for a pack: its plain-words sentences about a dataset, the
place's own value and hot-spot status, and the method note, frozen with the version."""

from __future__ import annotations

from commonground.catalogue.models import Dataset
from commonground.catalogue.services import lens as lens_service
from commonground.places.cache import city_state

from . import citations as c
from .dataset_items import cite, hidden_label


def snapshot(dataset: Dataset, geography: str, code: str) -> dict:
    """Raises ``lens_service.LensError`` when the lens cannot be drawn for the dataset."""
    _, version = lens_service.choose(dataset)
    result = lens_service.dataset_lens(dataset, version)
    reference = cite(dataset, version)
    edition = (result.get("deprivation") or {}).get("edition") or {}
    method = (f"the difference lens over the {result['city']['areas']} neighbourhoods of "
              f"{result['city']['name']}; residents {result['city']['population_source']}"
              + (f"; deprivation {edition['title']}" if edition else "")
              + (f"; only rows where {'; '.join(result['measure']['filters'])}"
                 if result["measure"].get("filters") else "")
              + "; 95% intervals as in the method note")
    citation = c.dataset_citation(reference, method)
    figures = []
    where = result.get("where") or {}
    area = next((a for a in where.get("areas", []) if a["code"] == code), None)
    if geography == city_state().base and area is not None:
        hidden = area.get("suppressed")
        figures.append({
            "label": f"{where.get('unit', 'value').capitalize()} in this neighbourhood",
            "value": hidden_label(dataset) if hidden else c.rate(area["value"]),
            "number": None if hidden else area["value"],
            "detail": f"hot or cold spot: {area['spot']} (local Moran's I, false discovery "
                      f"rate {where['hot_spots'].get('alpha')})", "citation": citation})
    return {"heading": f"What the difference lens finds: {dataset.title}",
            "sentences": result["words"], "figures": figures,
            "notes": [{"title": n["title"], "text": n["text"]} for n in result["method"]],
            "citation": citation, "cites": [reference]}
