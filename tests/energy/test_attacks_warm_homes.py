"""Attacks on this session's warm-homes work (issue 23) and its search helpers (issue 20).

Each test is one thing an attacker tries, as an anonymous visitor, a member of another
organisation, a plain member of a group anyone may join, or a resident: the warm-homes ranking
(page, CSV, API, evidence pack items), who each scheme leaves out, publishing an offer
through the API, the heat options' matched offers, and the typo search's name-words file.
What must hold: a closed offer is as missing to whoever may not see it; nobody changes what
is not theirs; a state change without the CSRF token changes nothing; bad input is a specific
4xx and changes nothing, never a 500; a file built lazily by two first requests at once is
never read half-written.
"""

from __future__ import annotations

import threading
from html import unescape

import pytest
from api_calls import Caller
from django.core.management import call_command
from django.test import Client

from commonground.accounts.models import Membership, Organisation
from commonground.community import groups
from commonground.energy.models import Offer

pytestmark = pytest.mark.django_db

LSOA = "E01016813"  # a Milton Keynes neighbourhood (tests/energy/test_campaign.py)
NUL = "\x00"
#: Values each parameter is tried with: wrong type, huge, negative, unicode, NUL, markup.
BAD = ["lots", "9" * 400, "-5", "1e2", "4.5", "٤٠", "４０", "40" + NUL, NUL,
       "<script>x</script>", "x" * 5000]


@pytest.fixture
def world(loaded, settings, django_user_model):
    """The demo's offers; the council (vets its members) with an editor and a plain member;
    the co-op (anyone may join) with an editor and a stranger who has just joined; a closed
    offer of each; someone signed in who belongs to neither."""
    settings.DEBUG = False
    call_command("seed_energy", verbosity=0)
    coop = Offer.objects.get(kind="community_shares").organisation
    council = Organisation.objects.exclude(pk=coop.pk).filter(
        kind=Organisation.Kind.COUNCIL).first() or Organisation.objects.create(
        slug="attack-council", name="Attack Council", kind=Organisation.Kind.COUNCIL)
    make = django_user_model.objects.create_user
    people = {name: make(name, password=f"pw-{name}-1")
              for name in ("coop_admin", "coop_editor", "joiner", "council_editor",
                           "council_member", "outsider")}
    Membership.objects.create(user=people["coop_admin"], organisation=coop,
                              role=Membership.Role.ADMIN)
    Membership.objects.create(user=people["coop_editor"], organisation=coop,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=people["council_editor"], organisation=council,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=people["council_member"], organisation=council,
                              role=Membership.Role.MEMBER)
    groups.set_open(people["coop_admin"], coop, True)
    assert groups.ask_to_join(people["joiner"], coop) is None  # a plain member at once
    closed = {
        "coop": Offer.objects.create(organisation=coop, kind="grant", active=False,
                                     title="Secret co-op heat pump pilot",
                                     summary="Not yet published.",
                                     measures=["air_source_heat_pump"]),
        "council": Offer.objects.create(organisation=council, kind="grant", active=False,
                                        title="Secret council loft grant",
                                        summary="Not yet published.",
                                        measures=["loft_insulation"]),
    }
    return {"coop": coop, "council": council, "closed": closed, **people}


def _not_server_error(response, where: str) -> None:
    assert 400 <= response.status_code < 500, (where, response.status_code,
                                                response.content[:300])


def _no_markup(response, markup: str = "<script>") -> None:
    """An HTML page never echoes what was typed as markup (JSON and plain text may quote it:
    no browser runs them, ``nosniff``)."""
    kind = response.get("Content-Type", "")
    if kind.startswith("text/html"):
        assert markup not in response.content.decode()
    else:
        assert response.get("X-Content-Type-Options") == "nosniff"


# ------------------------------------------------------------------ the warm-homes ranking

@pytest.mark.parametrize("field", ["fuel_poverty", "heating", "tenure", "deprivation",
                                   "geography"])
def test_each_ranking_setting_refuses_bad_input_by_name_on_page_csv_and_api(loaded, field):
    client = Client()
    for value in BAD:
        for path in ("/api/energy/heat/campaign", "/energy/heat/campaign/",
                     "/energy/heat/campaign.csv"):
            response = client.get(path, {field: value})
            _not_server_error(response, (path, field, value[:10]))
            _no_markup(response)
            body = unescape(response.content.decode())
            if path.startswith("/api"):  # 400 naming it, or ninja's 422 locating it
                assert field in body, (field, value[:10], body[:200])


def test_a_ranking_asked_with_a_setting_twice_or_every_weight_zero_is_refused(loaded):
    client = Client()
    zero = {"fuel_poverty": "0", "heating": "0", "tenure": "0", "deprivation": "0"}
    assert client.get("/api/energy/heat/campaign", zero).status_code == 400
    assert client.get("/energy/heat/campaign.csv", zero).status_code == 400
    page = client.get("/energy/heat/campaign/", zero)
    assert page.status_code == 400  # the page shows the default ranking, said so


@pytest.mark.parametrize("args", [["--heating", "lots"], ["--heating", "-5"],
                                  ["--tenure", "9" * 400], ["--fuel-poverty", "٤٠"],
                                  ["--deprivation", "4" + NUL], ["--geography", "country"],
                                  ["--geography", NUL], ["--fuel-poverty", "0", "--heating",
                                                         "0", "--tenure", "0",
                                                         "--deprivation", "0"]])
def test_the_command_line_names_a_bad_setting_in_one_line_exit_2(loaded, capsys, args):
    from commonground.cli import main

    assert main(["energy", "campaign", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("geography, code", [
    ("lsoa21", NUL), ("lsoa21", "E0" * 3000), (NUL, "E01016813"), ("country", "E01016813"),
    ("lsoa21", "<script>x</script>"), ("lsoa21", "-1"), ("ward", "٤٠"), ("", NUL),
    ("lsoa21", "")])
def test_the_heat_picture_refuses_a_bad_area_by_name_never_a_500(loaded, geography, code):
    client = Client()
    api = client.get("/api/energy/heat", {"geography": geography, "code": code})
    _not_server_error(api, (geography[:5], code[:5]))
    _no_markup(api)
    if geography.strip(NUL) and code.strip(NUL):
        page = client.get(f"/energy/heat/{geography}/{code}/")
        _not_server_error(page, (geography[:5], code[:5]))
        _no_markup(page)


def test_first_rankings_asked_at_once_build_the_figures_once_and_agree(loaded, monkeypatch):
    """Four first requests at once (a fresh load's state: nothing built yet) wait for one
    build of the city's figures and each gets the same ranking."""
    import dataclasses

    from commonground.energy import campaign as service

    fresh = dataclasses.replace(loaded, _derived=type(loaded._derived)())
    monkeypatch.setattr(service, "city_state", lambda: fresh)
    builds = []
    original = service._build_base

    def counted(state):
        builds.append(threading.get_ident())
        return original(state)

    monkeypatch.setattr(service, "_build_base", counted)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def ask():
        try:
            barrier.wait()
            results.append(service.campaign({"heating": "60"}, ""))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert len(builds) == 1
    assert len(results) == 4 and all(r["rows"] == results[0]["rows"] for r in results)


# ------------------------------------------------- the ranking in another group's evidence pack

def _pack(editor, organisation, title):
    from commonground.evidence import services

    return services.create_pack(editor, organisation, title=title, question="Which doors?",
                                place=LSOA)


def test_no_one_adds_a_ranking_to_a_pack_they_may_not_change(world):
    pack = _pack(world["council_editor"], world["council"], "Council's private draft")
    for who in ("outsider", "coop_editor", "joiner", "council_member"):
        client = Client()
        client.force_login(world[who])
        tried = client.post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                       "source": "heating=60"})
        assert tried.status_code in (403, 404), who
        # the form's own fields, and a refresh of nothing, change nothing either
        tried = client.post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                       "heating": "60"})
        assert tried.status_code in (403, 404), who
    anonymous = Client().post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                         "source": "heating=60"})
    assert anonymous.status_code in (302, 403, 404)
    assert not pack.items.exists()


def test_a_private_pack_is_not_offered_by_the_campaign_route_to_anyone_outside(world):
    pack = _pack(world["council_editor"], world["council"], "Council's private draft")
    for who in ("outsider", "coop_editor", "joiner", "council_member"):
        client = Client()
        client.force_login(world[who])
        chooser = client.get("/packs/campaign", {"heating": "60"})
        assert chooser.status_code == 200
        body = chooser.content.decode()
        assert "Council's private draft" not in unescape(body), who
        assert f"/packs/{pack.pk}/" not in body, who
    mine = Client()
    mine.force_login(world["council_editor"])
    assert "Council's private draft" in unescape(
        mine.get("/packs/campaign", {"heating": "60"}).content.decode())


def test_a_draft_pack_s_ranking_is_read_by_no_one_outside(world):
    from commonground.evidence import services

    pack = _pack(world["council_editor"], world["council"], "Council's private draft")
    services.add_item(world["council_editor"], pack, "campaign", source="heating=60")
    for who in (None, "outsider", "coop_editor", "joiner"):
        client = Client()
        if who:
            client.force_login(world[who])
        for path in (f"/packs/{pack.pk}/", f"/packs/{pack.pk}/pack.json",
                     f"/packs/{pack.pk}/pack.pdf", f"/packs/{pack.pk}/edit"):
            got = client.get(path)
            assert got.status_code in (302, 404), (who, path)
            assert b"Where to knock first" not in got.content
        assert "Council's private draft" not in unescape(client.get("/packs/").content.decode())


def test_the_campaign_route_echoes_its_settings_escaped(world):
    client = Client()
    client.force_login(world["council_editor"])
    shown = client.get("/packs/campaign", {"heating": '"><script>alert(1)</script>'})
    assert shown.status_code == 200
    assert "<script>alert(1)</script>" not in shown.content.decode()


def test_adding_a_ranking_without_the_csrf_token_changes_nothing(world):
    pack = _pack(world["council_editor"], world["council"], "Council's pack")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["council_editor"])
    forged = client.post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                    "source": "heating=60"})
    assert forged.status_code == 403
    assert not pack.items.exists()


@pytest.mark.parametrize("source", ["heating=lots", "heating=-1", "heating=101",
                                    f"heating=4{NUL}0", "geography=country",
                                    "geography=" + "x" * 5000, "password=1",
                                    "fuel_poverty=0&heating=0&tenure=0&deprivation=0",
                                    "heating=" + "٤٠"])
def test_a_bad_ranking_source_in_a_pack_is_named_and_adds_nothing(world, source):
    pack = _pack(world["council_editor"], world["council"], "Council's pack")
    client = Client()
    client.force_login(world["council_editor"])
    tried = client.post(f"/packs/{pack.pk}/edit", {"action": "add", "kind": "campaign",
                                                   "source": source})
    assert tried.status_code == 400, tried.status_code
    assert "Ranking:" in unescape(tried.content.decode())
    assert not pack.items.exists()


def test_a_published_pack_s_ranking_is_refreshed_only_by_its_editors(world):
    from commonground.evidence import services

    pack = _pack(world["council_editor"], world["council"], "Council's pack")
    item = services.add_item(world["council_editor"], pack, "campaign", source="heating=60")
    before = dict(item.snapshot)
    for who in ("outsider", "coop_editor", "joiner", "council_member"):
        client = Client()
        client.force_login(world[who])
        tried = client.post(f"/packs/{pack.pk}/edit", {"action": "refresh",
                                                       "item": str(item.pk)})
        assert tried.status_code in (403, 404), who
    item.refresh_from_db()
    assert item.snapshot == before


def test_a_pack_for_a_place_that_is_a_nul_is_named_and_made_not(world):
    from commonground.evidence.models import EvidencePack

    client = Client(raise_request_exception=False)
    client.force_login(world["council_editor"])
    refused = client.post(f"/groups/{world['council'].slug}/packs/new",
                          {"title": "Where to knock", "question": "Which doors?",
                           "place": NUL})
    assert refused.status_code == 400
    assert not EvidencePack.objects.filter(title="Where to knock").exists()


# ------------------------------------------------------------------- closed offers stay closed

def _offer_paths(offer) -> list[str]:
    return [f"/api/energy/offers/{offer.pk}", f"/api/energy/left-out/offers/{offer.pk}",
            f"/energy/left-out/offers/{offer.pk}/"]


@pytest.mark.parametrize("who", [None, "outsider", "coop_editor", "council_member"])
def test_a_closed_offer_of_another_group_is_as_missing_everywhere(world, who):
    """The council vets its members, so its plain member sees its closed offer; anyone else
    (another group's editor, someone signed in, nobody) gets exactly a missing offer's 404."""
    offer = world["closed"]["council"]
    user = world[who] if who else None
    client = Client()
    if user:
        client.force_login(user)
    missing = Offer.objects.order_by("-pk").first().pk + 1000
    for path in _offer_paths(offer):
        got = client.get(path)
        expect = 200 if who == "council_member" else 404
        assert got.status_code == expect, (who, path)
        if expect == 404:
            gone = client.get(path.replace(str(offer.pk), str(missing)))
            assert gone.status_code == 404
            assert "Secret council" not in got.content.decode()
    # the public list and the heat options list open offers only, to anyone; the left-out
    # lists show a closed offer to those who may see it, marked closed
    for path in ("/api/energy/offers", "/api/energy/offers?measure=loft_insulation",
                 "/api/energy/left-out", "/energy/left-out/",
                 "/energy/heat/options/?postcode=MK2+2HB"):
        body = client.get(path).content.decode()
        shown = "Secret council loft grant" in body
        assert shown is (who == "council_member" and "left-out" in path), (who, path)


def test_the_after_registering_page_names_no_closed_offer(world):
    offer = world["closed"]["council"]
    for who in (None, "outsider", "joiner"):
        client = Client()
        if who:
            client.force_login(world[who])
        got = client.get(f"/energy/options/{offer.pk}/interest/sent")
        assert got.status_code == 404, who
        assert "Secret council loft grant" not in got.content.decode()


@pytest.mark.parametrize("who", ["outsider", "coop_editor", "council_member", "council_editor"])
def test_the_offer_editing_page_tells_a_closed_offer_of_others_from_no_offer_by_nothing(
        world, who):
    """Editing a closed offer: its own group's editors may; its plain member (who sees it)
    is refused (403); anyone else, another group's editor included, gets exactly a missing
    offer's 404, never a 403 that would say the offer exists."""
    offer = world["closed"]["council"]
    client = Client()
    client.force_login(world[who])
    missing = Offer.objects.order_by("-pk").first().pk + 1000
    got = client.get(f"/energy/provider/offers/{offer.pk}/")
    expect = {"council_editor": 200, "council_member": 403}.get(who, 404)
    assert got.status_code == expect, who
    if expect == 404:
        assert client.get(f"/energy/provider/offers/{missing}/").status_code == 404
    if expect != 200:
        assert "Secret council loft grant" not in got.content.decode()


def test_no_one_registers_for_a_closed_offer(world):
    offer = world["closed"]["council"]
    tried = Client().post(f"/energy/options/{offer.pk}/interest", {
        "postcode": "MK2 2HB", "tenure": "rent", "home": "flat", "name": "Di",
        "email": "di@example.org", "consent": "1"})
    assert tried.status_code in (400, 404)
    assert "Secret council loft grant" not in tried.content.decode()
    assert not offer.interests.exists()


def test_a_plain_member_of_an_open_group_does_not_see_its_closed_offer(world):
    """Anyone may join the co-op at once: its closed offer is not theirs to see."""
    offer = world["closed"]["coop"]
    client = Client()
    client.force_login(world["joiner"])
    for path in _offer_paths(offer):
        assert client.get(path).status_code == 404, path
    for path in ("/api/energy/offers?mine=true", "/api/energy/left-out", "/energy/left-out/",
                 "/api/energy/offers?measure=air_source_heat_pump"):
        assert "Secret co-op heat pump pilot" not in client.get(path).content.decode(), path
    editor = Client()
    editor.force_login(world["coop_editor"])
    assert editor.get(f"/api/energy/left-out/offers/{offer.pk}").status_code == 200


def test_the_heat_options_match_no_closed_offer_even_to_its_own_group(world):
    """A closed heat-pump offer and its open twin: a household is shown the open one beside
    the heat pump, never the closed one, whoever asks."""
    Offer.objects.create(organisation=world["coop"], kind="grant", title="Open heat pump club",
                         summary="Published.", measures=["air_source_heat_pump"])
    home = {"home_type": "detached", "heating": "gas", "tenure": "owner",
            "postcode": "MK2 2HB", "benefits": "none"}
    for who in (None, "coop_editor", "joiner"):
        client = Client()
        if who:
            client.force_login(world[who])
        api = client.get("/api/energy/heat/options", home)
        assert api.status_code == 200, api.content[:300]
        page = client.get("/energy/heat/options/", home)
        for body in (api.content.decode(), page.content.decode()):
            assert "Open heat pump club" in body, who
            assert "Secret co-op heat pump pilot" not in body, who


@pytest.mark.parametrize("area", BAD + ["E01016813" + NUL, "E0" * 3000, "../../etc"])
def test_left_out_refuses_a_bad_area_with_a_404_never_a_500(world, area):
    client = Client()
    for path in ("/api/energy/left-out", "/energy/left-out/",
                 "/api/energy/left-out/schemes/eco4", "/energy/left-out/schemes/eco4/"):
        got = client.get(path, {"area": area})
        _not_server_error(got, (path, area[:10]))
        _no_markup(got)


@pytest.mark.parametrize("offer_id", ["-1", "0", "9" * 30, "abc", "1%00"])
def test_an_offer_id_that_is_not_one_is_a_4xx(world, offer_id):
    client = Client()
    for path in (f"/api/energy/offers/{offer_id}", f"/api/energy/left-out/offers/{offer_id}",
                 f"/api/energy/offers/{offer_id}/registrations"):
        _not_server_error(client.get(path), path)


def test_an_unknown_scheme_key_is_a_404_and_not_echoed_as_markup(loaded):
    for path in ("/api/energy/left-out/schemes/%3Cscript%3Ex", "/energy/left-out/schemes/x%00/"):
        got = Client().get(path)
        assert got.status_code == 404, path
        _no_markup(got)


# ------------------------------------------------------------ publishing an offer by the API

def _body(group, **change) -> dict:
    return {"organisation": group.slug, "kind": "grant", "title": "Warm lofts by API",
            "summary": "Free loft insulation.", "measures": ["loft_insulation"], **change}


def test_only_the_organisation_s_editors_publish_its_offers(world):
    before = Offer.objects.count()
    assert Caller().post("/api/energy/offers", _body(world["council"])).status_code == 401
    for who, organisation in (("outsider", "council"), ("coop_editor", "council"),
                              ("council_member", "council"), ("joiner", "coop"),
                              ("council_editor", "coop")):
        refused = Caller(world[who]).post("/api/energy/offers", _body(world[organisation]))
        assert refused.status_code == 403, who
    assert Offer.objects.count() == before


def test_publishing_without_the_csrf_token_changes_nothing(world):
    before = Offer.objects.count()
    forged = Caller(world["council_editor"]).post("/api/energy/offers", _body(world["council"]),
                                                  csrf=False)
    assert forged.status_code == 403
    assert Offer.objects.count() == before
    # an API token is not a cookie another site's page can send: it needs no CSRF token
    made = Caller(world["council_editor"], token=True).post(
        "/api/energy/offers", _body(world["council"]), csrf=False)
    assert made.status_code == 201


@pytest.mark.parametrize("change", [
    {"title": "x" * 201}, {"title": ""}, {"title": "Warm" + NUL}, {"summary": NUL},
    {"summary": ""}, {"kind": "nuclear"}, {"measures": ["nuclear"]}, {"measures": "solar_pv"},
    {"measures": [["solar_pv"]]}, {"measures": [NUL]}, {"minimum_gbp": -1},
    {"minimum_gbp": 10**9}, {"minimum_gbp": "lots"}, {"minimum_gbp": float("inf")},
    {"group_threshold": 0}, {"group_threshold": -3}, {"group_threshold": 2**40},
    {"group_threshold": 2.5}, {"tenure": "castle"}, {"home": NUL}, {"heating": "plutonium"},
    {"areas": ["Nowhere ward"]}, {"areas": ["E05" + NUL]}, {"areas": ["x" * 5000]},
    {"areas": "E05009424"}, {"building": "b" * 201}, {"organisation": "no-such-group"},
    {"organisation": NUL}, {"organisation": 5}, {"active": "perhaps"}, {"terms": NUL},
    {"low_income_only": "sometimes"}])
def test_a_bad_offer_is_a_422_naming_the_field_and_changes_nothing(world, change):
    before = Offer.objects.count()
    refused = Caller(world["council_editor"]).post("/api/energy/offers",
                                                   _body(world["council"], **change))
    _not_server_error(refused, change)
    assert refused.status_code in (400, 422), refused.content
    assert Offer.objects.count() == before


def test_a_body_that_is_not_an_object_is_refused(world):
    editor = Caller(world["council_editor"])
    for body in ([], "offer", 5, None):
        got = editor.client.post("/api/energy/offers", data="null" if body is None else
                                 __import__("json").dumps(body),
                                 content_type="application/json",
                                 headers={"X-CSRFToken": "a" * 32})
        _not_server_error(got, body)
    got = editor.client.post("/api/energy/offers", data=b"\xff\xfe{", content_type=
                             "application/json", headers={"X-CSRFToken": "a" * 32})
    _not_server_error(got, "bytes")


# --------------------------------------------------------------- the typo search's name words

def test_two_first_typo_searches_at_once_write_one_whole_file(loaded, settings, tmp_path):
    """Two threads (as two processes would) build the name-words file at once, while a third
    reads it over and over: each builder gets every word, the reader sees either no file or a
    whole one, and one file is left (no scratch)."""
    import json

    from commonground.places import name_words_store
    from commonground.places.models import LoadRun

    settings.COMMONGROUND_DATASTORE = str(tmp_path / "ds")
    run = LoadRun.objects.exclude(finished=None).order_by("-pk").first() \
        if hasattr(LoadRun, "finished") else LoadRun.objects.order_by("-pk").first()
    expected = name_words_store.from_database(run)
    final = name_words_store.path(run)
    assert not final.exists()
    barrier = threading.Barrier(3)
    results, torn, errors = [], [], []
    done = threading.Event()

    def build():
        try:
            barrier.wait()
            for _ in range(3):
                results.append(name_words_store.vocabulary(run))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            from django.db import connection

            connection.close()

    def read():
        barrier.wait()
        while not done.is_set():
            try:
                text = final.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            try:
                json.loads(text)
            except ValueError:
                torn.append(len(text))

    threads = [threading.Thread(target=build) for _ in range(2)]
    reader = threading.Thread(target=read)
    for t in [*threads, reader]:
        t.start()
    for t in threads:
        t.join(120)
    done.set()
    reader.join(10)
    assert not errors, errors
    assert not torn, "a reader saw a half-written file"
    assert len(results) == 6 and all(r == expected for r in results)
    assert [p.name for p in final.parent.iterdir()] == [final.name]
    assert json.loads(final.read_text(encoding="utf-8"))["words"] == sorted(expected)


@pytest.mark.parametrize("text", ["", "{", '{"version": 1, "run": [', "[]", "null",
                                  '{"version": 99}', "\x00" * 64])
def test_a_torn_or_foreign_name_words_file_is_rewritten_not_trusted(loaded, settings,
                                                                    tmp_path, text):
    """A file cut short (a machine stopped mid-write before the rename), of another version,
    or not JSON: the search reads the names again and writes a whole file."""
    import json

    from commonground.places import name_words_store
    from commonground.places.models import LoadRun

    settings.COMMONGROUND_DATASTORE = str(tmp_path / "ds")
    run = LoadRun.objects.order_by("-pk").first()
    final = name_words_store.path(run)
    final.parent.mkdir(parents=True)
    final.write_text(text, encoding="utf-8")
    expected = name_words_store.from_database(run)
    assert name_words_store.vocabulary(run) == expected
    assert json.loads(final.read_text(encoding="utf-8"))["words"] == sorted(expected)
