"""Country names in the viewer's language, from Babel's locale data."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask_babel import get_locale

# Babel also names regions and groupings ("EU", "UN", "001"...); only real two-letter country codes are offered.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK"}


@cache
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(language).territories
    pairs = [(code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()]
    pairs = [(code, name) for code, name in pairs if code not in _NOT_COUNTRIES]
    return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name in the viewer's language."""
    locale = get_locale()
    return list(_countries(locale.language if locale else "en"))


def country_name(code: str | None) -> str:
    """The country's name in the viewer's language (the code itself if unknown)."""
    if not code:
        return ""
    return dict(country_choices()).get(code, code)


def is_country(code: str) -> bool:
    """Whether code is one of the offered countries."""
    return code in dict(_countries("en"))
