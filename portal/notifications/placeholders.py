"""The placeholders of a written bulk mail: `{name}`, `{reference}` and `{deadline}`, checked before anything is
filled in. Anything else in braces (`{name.__class__}`, `{0}`, `{name!r}`, `{name:>9}`) is refused with a message next
to the field; `{{` and `}}` write a brace. Filling in is then `str.format_map` over a dict of three strings."""

from __future__ import annotations

import string

from flask_babel import gettext as _

from portal.core.rules import RuleViolation

PLACEHOLDERS = ("name", "reference", "deadline")


class BulkMailError(RuleViolation):
    """The mail cannot be previewed or sent as it is; the message is shown next to `field` when given."""

    category = "warning"


def sort_placeholders(text: str, field: str, allowed: tuple[str, ...]) -> tuple[set[str], list[str]]:
    """The allowed placeholders text uses, and every other field as typed (a conversion, a format spec, an attribute
    or an index make a field unknown: a text can never run code or reach other data). The letters reuse it."""
    used, unknown = set(), []
    for name, spec, conversion in _fields_of(text, field):
        if name in allowed and not spec and not conversion:
            used.add(name)
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if shown not in unknown:
            unknown.append(shown)
    return used, unknown


def placeholders(text: str, field: str) -> set[str]:
    """The placeholders text uses; anything but a plain {name}, {reference} or {deadline} is refused."""
    used, unknown = sort_placeholders(text, field, PLACEHOLDERS)
    if unknown:
        raise BulkMailError(
            _(
                "Unknown placeholder: %(placeholders)s. You can use {name}, {reference} and {deadline}; "
                "write {{ or }} for a brace itself.",
                placeholders=", ".join(unknown),
            ),
            field=field,
        )
    return used


def _fields_of(text: str, field: str) -> list[tuple[str, str | None, str | None]]:
    """Every replacement field in text: (name, format spec, conversion); a brace left open is refused."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as error:
        raise BulkMailError(
            _("A curly brace is not closed. Placeholders look like {name}; write {{ or }} for a brace itself."),
            field=field,
        ) from error
    return [(name, spec, conversion) for _literal, name, spec, conversion in parts if name is not None]
