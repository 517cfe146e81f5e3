"""Parts one app adds to another app's form, so a form carries them without importing the app
that provides them (the forms' twin of ``sections``).

A form (``"signup"``, ``"comment"``, ``"request"``, ``"interest"``) renders the parts
registered for it with ``{% form_parts "comment" %}`` and, in its view, reads them before it
saves anything and saves them after::

    taken = formparts.read("comment", request.POST)   # FieldError: nothing is saved
    made = services.comment(...)
    taken.save(person=("user", request.user.pk), thing=("consultation", str(c.pk)))

An app registers a part in its ``AppConfig.ready``::

    formparts.register("comment", template="participation/_questions.html",
                       context=questions_context, read=read_answers, save=save_answers)

``read(data)`` checks the submitted values (a ``FieldError`` names the field) and returns what
``save(value, person=, thing=, place=)`` stores; ``context(form)`` is the template's
``part``. ``person`` is who answered as the form knows them (``("user", pk)`` or
``("email", address)``); ``thing`` what the form was about (``(kind, key)``, or None);
``place`` a base area the form already knows (a registration's neighbourhood), or "".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

FORMS = ("signup", "comment", "request", "interest")


@dataclass(frozen=True)
class Part:
    form: str
    template: str
    context: Callable[[str], dict]
    read: Callable[[object], object]
    save: Callable[..., None]


_PARTS: dict[tuple[str, str], Part] = {}


def register(form: str, *, template: str, context: Callable[[str], dict],
             read: Callable[[object], object], save: Callable[..., None]) -> Part:
    """Add a part to ``form`` (registering the same template again replaces it)."""
    if form not in FORMS:
        raise ValueError(f"no form takes parts: {form!r} (forms: {', '.join(FORMS)})")
    part = Part(form, template, context, read, save)
    _PARTS[(form, template)] = part
    return part


def for_form(form: str) -> list[Part]:
    """The parts of ``form``, in the order of their templates."""
    return [p for (f, _), p in sorted(_PARTS.items()) if f == form]


def rendered(form: str) -> list[dict]:
    """``{"template", "part"}`` for each part of ``form`` (the template tag's list)."""
    return [{"template": p.template, "part": p.context(form)} for p in for_form(form)]


@dataclass(frozen=True)
class Taken:
    """The checked values of a form's parts, to save once the form's own record is saved."""

    values: tuple[tuple[Part, object], ...]

    def save(self, *, person: tuple[str, object], thing: tuple[str, str] | None = None,
             place: str = "") -> None:
        for part, value in self.values:
            part.save(value, person=person, thing=thing, place=place)


def read(form: str, data) -> Taken:
    """Every part's values of ``form`` from ``data`` (a QueryDict or dict), checked; raises
    ``inputs.FieldError`` naming the field at fault."""
    return Taken(tuple((p, p.read(data)) for p in for_form(form)))
