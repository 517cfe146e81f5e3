"""Use cases: a resident describes themselves (optionally) with a form; the answers are
checked, kept under a pseudonym, and copied to the thing the form was about.

Nothing here is ever shown to anyone, the person included: only the disclosure-controlled
tables of ``lens`` leave the app.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import connection, transaction
from django.utils.crypto import salted_hmac

from commonground.activity.inputs import FieldError

from .models import Description, TakingPart
from .questions import BY_FIELD, NO_SAY, QUESTIONS

#: The form fields (prefixed: the forms have fields of their own, such as a tenure).
PREFIX = "about_"
PLACE_FIELD = PREFIX + "place"


def pseudonym(*parts) -> str:
    """A keyed hash (HMAC-SHA256 under the site's secret key) of ``parts``: the same for the
    same person, and no one without the key can tell whose it is."""
    value = "|".join(str(p) for p in parts)
    return salted_hmac("commonground.participation", value, algorithm="sha256").hexdigest()


def read_answers(data) -> dict:
    """The answers in a form's ``data``, checked: every question may be blank or "prefer not
    to say"; an answer not on the list, or a place that is not one of the city's, raises
    ``FieldError`` naming its field. Returns {field: value} and "lsoa_code"."""
    answers = {}
    for q in QUESTIONS:
        value = str(data.get(PREFIX + q.field, "") or "").strip()
        if value and value != NO_SAY and value not in q.labels():
            raise FieldError(PREFIX + q.field, f"{q.text} Choose one of the answers, "
                                               "“prefer not to say”, or none")
        answers[q.field] = value
    answers["lsoa_code"] = place_code(str(data.get(PLACE_FIELD, "") or ""))
    return answers


def place_code(text: str) -> str:
    """The neighbourhood (base area) of a postcode or an area's name or code; "" for nothing
    typed, and for a larger area (a ward tells no neighbourhood). ``FieldError`` for a place
    that is not one of the city's."""
    from commonground.places import names, search  # here: they load the city
    from commonground.places.cache import city_state

    text = text.strip()
    if not text:
        return ""
    state = city_state()
    found = search.postcode_lookup(text, state)
    if found is not None:
        if not found["found"] or found["area"] is None:
            raise FieldError(PLACE_FIELD, f"Where you live: we do not know the postcode "
                                          f"{found['postcode']} in {state.run.city_name}; "
                                          "check it, or leave it blank")
        return found["area"]["code"] if found["area"]["geography"] == state.base else ""
    try:
        codes = names.check_places(text)
    except names.PlaceError:
        raise FieldError(PLACE_FIELD, f"Where you live: “{text[:40]}” is not a postcode or "
                                      f"a place in {state.run.city_name}; check it, or leave "
                                      "it blank") from None
    if len(codes) != 1:
        raise FieldError(PLACE_FIELD, "Where you live: give one postcode or one place")
    return codes[0] if (state.base, codes[0]) in state.areas else ""


def given(answers: dict) -> dict:
    """The answers actually given (a category or "prefer not to say"; a neighbourhood)."""
    return {k: v for k, v in answers.items() if v}


def _person_key(person: tuple[str, object]) -> str:
    kind, value = person
    if kind not in ("user", "email"):
        raise ValueError(f"a person is ('user', pk) or ('email', address), not {kind!r}")
    return f"{kind}:{str(value).strip().lower()}"


def save_answers(answers: dict, *, person: tuple[str, object],
                 thing: tuple[str, str] | None = None, place: str = "") -> None:
    """Keep what ``person`` said about themselves, and that they took part in ``thing``.

    A signed-in person's answers update their standing description (an answer left blank
    keeps the one given before), so a later form need not ask again. Taking part in a thing
    is recorded once per person and thing, with the answers of that moment (``place``: the
    neighbourhood the form itself knows, used when none was given); it is updated while its
    batch is unpublished, never after (``lens``: published tables do not change)."""
    key = _person_key(person)
    answers = given(answers)
    with transaction.atomic():
        if person[0] == "user":
            standing = pseudonym("person", key)
            _one_at_a_time(f"description:{standing}")  # the same form sent twice at once
            found = Description.objects.filter(person=standing).first()
            if found is None and answers:
                found = Description(person=standing)
            if found is not None:
                for field, value in answers.items():
                    setattr(found, field, value)
                found.save()
                answers = {f: getattr(found, f) for f in (*BY_FIELD, "lsoa_code")}
                answers = given(answers)
        if thing is None:
            return
        if place and not answers.get("lsoa_code"):
            answers["lsoa_code"] = place
        _take_part(f"{thing[0]}:{thing[1]}", pseudonym("taking part", thing[0], thing[1], key),
                   answers)


def count_in(thing: tuple[str, str], *, person: tuple[str, object], place: str) -> None:
    """Record that ``person`` took part in ``thing`` from ``place`` (a base area, or ""), and
    nothing else about them: a count by neighbourhood needs no self-description. Once per
    person and thing, in the batch of that moment, as ``save_answers``."""
    key = _person_key(person)
    _take_part(f"{thing[0]}:{thing[1]}", pseudonym("taking part", thing[0], thing[1], key),
               {"lsoa_code": place})


def _take_part(thing: str, person: str, answers: dict) -> None:
    """Count ``person`` in ``thing`` once, in the batch of the people counted before them.

    The count, the batch worked out from it and the write are one transaction that no one
    else taking part in ``thing`` can enter (``_one_at_a_time``): otherwise a person counted
    just before a milestone fills, and written just after, would land in a batch already
    published (its tables would change by that one person's answers), and the same person
    sent twice at once would be written twice. The batch is written only if the count it
    was worked out from still holds (else it is worked out again)."""
    from . import lens

    with transaction.atomic():
        _one_at_a_time(thing)
        rows = TakingPart.objects.filter(thing=thing)
        while True:
            counted = rows.count()
            existing = rows.filter(person=person).first()
            if existing is not None:
                if rows.filter(batch__gt=existing.batch).exists():
                    return  # its batch is published: the tables stay as they were
                for field in (*BY_FIELD, "lsoa_code"):
                    setattr(existing, field, answers.get(field, getattr(existing, field)))
                existing.save()
                return
            batch = lens.batch_for(counted, threshold())
            if rows.count() == counted:
                break
        TakingPart.objects.create(thing=thing, person=person, batch=batch, **answers)


def _one_at_a_time(thing: str) -> None:
    """Hold, until the transaction ends, the lock that lets one request at a time count
    people in ``thing`` (or change one standing description). PostgreSQL: a
    transaction-level advisory lock keyed by ``thing`` (another key may collide: it then
    waits its turn, nothing more). SQLite: the transaction began with the database's write
    lock (``transaction_mode`` IMMEDIATE, settings), which already lets one writer in."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"participation|{thing}".encode()).digest()[:8],
                             "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def forget(user_pk) -> None:
    """An account is deleted: its standing description goes with it (what it took part in
    stays, under pseudonyms no account leads to any more)."""
    Description.objects.filter(person=pseudonym("person", f"user:{user_pk}")).delete()


def threshold() -> int:
    return int(settings.COMMONGROUND_DISCLOSURE_THRESHOLD)
