"""Where to knock first, on the real Milton Keynes data: neighbourhoods ranked for a warm-homes
campaign by fuel poverty (DESNZ, modelled), costly or no heating (Census TS046), renting
privately (TS054) and deprivation (IoD 2025 score), with weights a council or co-op can
change; each row's place explained; the page, the API, the CSV, the command line and an
evidence pack giving the same ranking. The hand calculations read the data folder's files
through the manifest, not through the app."""

from __future__ import annotations

import csv
import json
from html import unescape

import pytest

from commonground.cli import main

pytestmark = pytest.mark.django_db

#: Three real neighbourhoods: the most fuel-poor (Milton Keynes 023B), one where most homes
#: are heated by electricity and half rent privately (Milton Keynes 015B), and one between
#: (014A).
FUEL_POOR, ELECTRIC, BETWEEN = "E01016842", "E01016813", "E01016718"
COSTLY = ("Electric only", "Oil only", "Wood only", "Solid fuel only", "No central heating")
DEFAULTS = {"fuel_poverty": 40, "heating": 25, "tenure": 15, "deprivation": 20}


def _rows(data_dir, role: str, title_word: str = "") -> dict[str, dict]:
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"]
                    if r.get("role") == role and title_word in r.get("title", "")
                    and r.get("geography", "lsoa21") == "lsoa21")
    with open(data_dir / resource["path"], newline="", encoding="utf-8") as f:
        return {r[resource["code_field"]]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def figures(data_dir) -> dict[str, dict[str, float]]:
    """Each neighbourhood's four figures, worked out from the published files."""
    fuel = _rows(data_dir, "fuel-poverty")
    heating = _rows(data_dir, "census", "TS046")
    tenure = _rows(data_dir, "census", "TS054")
    imd = _rows(data_dir, "deprivation", "2025")
    out = {}
    for code, f in fuel.items():
        h, t = heating[code], tenure[code]
        out[code] = {
            "fuel_poverty": 100 * int(f["fuel_poor_households"]) / int(f["households"]),
            "heating": 100 * sum(int(h[c]) for c in COSTLY) / int(h["total_households"]),
            "tenure": 100 * sum(int(v) for k, v in t.items() if k.startswith("Private rented"))
            / int(t["total_households"]),
            "deprivation": float(imd[code]["imd_score"])}
    return out


def _by_hand(figures, weights: dict[str, int], code: str) -> dict:
    """Min–max scores over the city's neighbourhoods, the weighted mean on 0–100."""
    total = sum(weights.values())
    out = {"contributions": {}, "scores": {}}
    for key, w in weights.items():
        values = [f[key] for f in figures.values()]
        low, high = min(values), max(values)
        score = (figures[code][key] - low) / (high - low)
        out["scores"][key] = score
        out["contributions"][key] = 100 * w * score / total
    out["priority"] = sum(out["contributions"].values())
    return out


def _api(client, **params):
    response = client.get("/api/energy/heat/campaign", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_each_row_explains_its_priority_as_the_hand_calculation(client, loaded, figures):
    body = _api(client)
    assert body["weights"] == DEFAULTS and len(body["rows"]) == len(figures) == body["ranked"]
    rows = {r["code"]: r for r in body["rows"]}
    for code in (FUEL_POOR, ELECTRIC, BETWEEN):
        hand, row = _by_hand(figures, DEFAULTS, code), rows[code]
        assert row["priority"] == round(hand["priority"])
        for f in row["factors"]:
            assert f["value"] == pytest.approx(figures[code][f["key"]], abs=0.051)
            assert f["score"] == pytest.approx(hand["scores"][f["key"]], abs=0.0051)
            assert f["contribution"] == pytest.approx(hand["contributions"][f["key"]], abs=0.051)
            assert f["weight"] == DEFAULTS[f["key"]]
        assert sum(f["contribution"] for f in row["factors"]) == pytest.approx(
            hand["priority"], abs=0.2)
    # rows come first to knock first; places are 1 + the areas with a higher whole-point priority
    priorities = [r["priority"] for r in body["rows"]]
    assert priorities == sorted(priorities, reverse=True)
    for r in body["rows"]:
        assert r["rank"] == 1 + sum(p > r["priority"] for p in priorities)
        assert r["tied"] == (priorities.count(r["priority"]) > 1)
        assert r["place"] == ("=" if r["tied"] else "") + str(r["rank"])
        assert r["band"] == (r["rank"] - 1) * 5 // len(priorities) + 1


def test_the_ranking_changes_with_the_weights_as_the_hand_calculation_predicts(
        client, loaded, figures):
    fuel_only = {"fuel_poverty": 100, "heating": 0, "tenure": 0, "deprivation": 0}
    heating_only = {"fuel_poverty": 0, "heating": 100, "tenure": 0, "deprivation": 0}
    seen = {}
    for name, weights in {"defaults": DEFAULTS, "fuel": fuel_only,
                          "heating": heating_only}.items():
        rows = {r["code"]: r for r in _api(client, **weights)["rows"]}
        for code in (FUEL_POOR, ELECTRIC, BETWEEN):
            assert rows[code]["priority"] == round(_by_hand(figures, weights, code)["priority"])
        hand = {c: round(_by_hand(figures, weights, c)["priority"]) for c in (FUEL_POOR, ELECTRIC)}
        first = FUEL_POOR if hand[FUEL_POOR] > hand[ELECTRIC] else ELECTRIC
        other = ELECTRIC if first == FUEL_POOR else FUEL_POOR
        assert rows[first]["rank"] < rows[other]["rank"], name
        seen[name] = first
    # the weights decide: fuel poverty alone puts 023B first, heating alone the electric one
    assert seen["fuel"] == FUEL_POOR and seen["heating"] == ELECTRIC
    assert {r["code"]: r for r in _api(client, **fuel_only)["rows"]}[FUEL_POOR]["rank"] == 1


def test_a_ward_is_ranked_on_its_neighbourhoods_summed(client, loaded):
    from commonground.energy.heat_picture import area_picture

    body = _api(client, geography="ward")
    assert len(body["rows"]) == len(loaded.by_geography["ward"])
    for row in body["rows"][:3]:
        picture = area_picture("ward", row["code"])
        fuel = next(f for f in row["factors"] if f["key"] == "fuel_poverty")
        assert fuel["value"] == pytest.approx(picture["fuel_poverty"]["share"], abs=0.051)
        assert row["fuel_poor"] == picture["fuel_poverty"]["fuel_poor"]


@pytest.mark.parametrize("params, field", [
    ({"heating": "abc"}, "heating"), ({"tenure": "-5"}, "tenure"),
    ({"deprivation": "1.5"}, "deprivation"), ({"fuel_poverty": "101"}, "fuel_poverty"),
    ({"fuel_poverty": "0", "heating": "0", "tenure": "0", "deprivation": "0"}, "fuel_poverty"),
    ({"geography": "county"}, "geography")])
def test_a_bad_weight_is_named_and_changes_nothing(client, loaded, params, field, capsys):
    api = client.get("/api/energy/heat/campaign", params)
    assert api.status_code == 400 and api.json()["detail"].startswith(f"{field}:")
    page = client.get("/energy/heat/campaign/", params)
    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert api.json()["detail"].split(": ", 1)[1] in html
    assert "Nothing was ranked with these weights" in html
    assert _api(client)["rows"][0]["name"] in html  # the default ranking, said so
    assert client.get("/energy/heat/campaign.csv", params).status_code == 400
    if field != "geography":
        args = [f"--{k.replace('_', '-')}={v}" for k, v in params.items()]
        capsys.readouterr()
        assert main(["energy", "campaign", *args]) == 2
        assert capsys.readouterr().err.splitlines()[-1].startswith(f"error: {field}:")


def test_the_csv_has_every_neighbourhood_with_units_and_sources(client, loaded, figures):
    response = client.get("/energy/heat/campaign.csv", {"heating": "50"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    notes = [line for line in text.splitlines() if line.startswith("#")]
    assert any("heating=50" in n for n in notes)
    assert any("DESNZ" in n and "modelled" in n for n in notes)
    assert any("TS046" in n for n in notes) and any("TS054" in n for n in notes)
    assert any("Indices of Deprivation 2025" in n for n in notes)
    assert any("not to rank single neighbourhoods" in n for n in notes)  # the caveat
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) == len(figures)
    assert "fuel_poverty value (% of households)" in rows[0]
    assert "deprivation value (IMD score)" in rows[0]
    api = {r["code"]: r for r in _api(client, heating="50")["rows"]}
    weights = {**DEFAULTS, "heating": 50}
    for row in rows:
        assert row["place"] == api[row["code"]]["place"]
        if row["code"] == ELECTRIC:
            hand = _by_hand(figures, weights, ELECTRIC)
            assert int(row["priority (0-100)"]) == round(hand["priority"])
            assert float(row["heating contribution (priority points, weight 50)"]) == \
                pytest.approx(hand["contributions"]["heating"], abs=0.051)


def test_the_command_line_gives_the_api_s_ranking(client, loaded, capsys):
    assert main(["energy", "campaign", "--tenure", "60", "--geography", "ward"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = _api(client, tenure="60", geography="ward")
    assert cli["rows"] == api["rows"] and cli["weights"]["tenure"] == 60


def test_anyone_reaches_the_page_from_the_heat_picture_and_it_explains_each_row(client, loaded):
    heat = client.get("/energy/heat/")
    assert heat.status_code == 200 and 'href="/energy/heat/campaign/"' in heat.content.decode()
    page = client.get("/energy/heat/campaign/", {"deprivation": "0"})  # anonymous
    assert page.status_code == 200
    html = unescape(page.content.decode())
    body = _api(client, deprivation="0")
    top = body["rows"][0]
    assert top["name"] in html and f">{top['priority']}<" in html
    for f in top["factors"]:
        assert f"score {f['score']} · +{f['contribution']}" in html
    assert "modelled" in html and "Read the fifths" in html
    assert 'class="table-wrap"' in html  # the wide table scrolls in its own box on a phone
    assert 'name="deprivation" value="0"' in html  # the weights as chosen, editable
    assert "/energy/heat/campaign.csv?geography=lsoa21&amp;fuel_poverty=40&amp;heating=25" \
           "&amp;tenure=15&amp;deprivation=0" in page.content.decode()


def test_the_ranking_goes_into_an_evidence_pack_with_its_weights(client, loaded,
                                                                django_user_model):
    from commonground.accounts.models import Membership, Organisation
    from commonground.evidence import services
    from commonground.evidence.models import PackItem

    group = Organisation.objects.create(slug="warm-homes-coop", name="Warm Homes Co-op",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    editor = django_user_model.objects.create_user("coop-editor", password="pw-ed-1")
    Membership.objects.create(user=editor, organisation=group, role=Membership.Role.EDITOR)
    pack = services.create_pack(editor, group, title="Where to start", question="Which doors?",
                                place=ELECTRIC)
    # anonymous visitors are asked to sign in before choosing a pack
    assert client.get("/packs/campaign", {"heating": "60"}).status_code == 302
    client.force_login(editor)
    chooser = client.get("/packs/campaign", {"geography": "lsoa21", "heating": "60"})
    assert chooser.status_code == 200 and "Where to start" in chooser.content.decode()
    # a bad weight: named, nothing added
    bad = client.post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                  "source": "heating=lots"})
    assert bad.status_code == 400 and "Ranking: heating:" in unescape(bad.content.decode())
    assert 'id="campaign-heating"' in bad.content.decode()  # the pack's own ranking form
    assert not pack.items.exists()
    added = client.post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                    "source": "geography=lsoa21&heating=60"})
    assert added.status_code == 302
    item = pack.items.get()
    assert item.kind == PackItem.Kind.CAMPAIGN
    assert item.source == "geography=lsoa21&fuel_poverty=40&heating=60&tenure=15&deprivation=20"
    row = next(r for r in _api(client, heating="60")["rows"] if r["code"] == ELECTRIC)
    first = item.snapshot["figures"][0]
    assert first["label"].startswith("This place:") and ELECTRIC in first["label"]
    assert first["value"] == f"place {row['place']}, {row['band_label']}"
    assert any("modelled" in n["text"] for n in item.snapshot["notes"])
    page = unescape(client.get(f"/packs/{pack.pk}/").content.decode())
    assert "Where to knock first" in page and first["detail"] in page
    # the pack's own form adds it too, from the weights' fields
    form = client.post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                   "fuel_poverty": "10", "heating": "0",
                                                   "tenure": "0", "deprivation": "0"})
    assert form.status_code == 302
    assert pack.items.order_by("order").last().source.endswith(
        "fuel_poverty=10&heating=0&tenure=0&deprivation=0")
    # the PDF carries it
    from tests.evidence.conftest import pdf_text

    assert "Where to knock first" in pdf_text(client.get(f"/packs/{pack.pk}/pack.pdf").content)
