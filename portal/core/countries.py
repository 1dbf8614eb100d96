"""Country names in the viewer's language, from Babel's locale data."""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale
from flask_babel import get_locale
from pypinyin import lazy_pinyin

# Babel also names regions and groupings ("EU", "UN", "001"...); only real two-letter country codes are offered.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK"}


# The programme's two countries lead every list.
PROGRAMME_COUNTRIES = ("DE", "CN")


def sort_key(name: str, language: str) -> str:
    """How a name sorts in language: Chinese by its pinyin, others by letters without accents (Ö with O, as German
    dictionaries and phone books do; é with e)."""
    if language == "zh":
        return " ".join(lazy_pinyin(name, errors="default")).casefold()
    letters = unicodedata.normalize("NFKD", name.replace("ß", "ss"))
    return "".join(char for char in letters if not unicodedata.combining(char)).casefold()


@cache
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(language).territories
    pairs = [(code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()]
    pairs = [(code, name) for code, name in pairs if code not in _NOT_COUNTRIES]
    first = [(code, territories[code]) for code in PROGRAMME_COUNTRIES]
    rest = [pair for pair in pairs if pair[0] not in PROGRAMME_COUNTRIES]
    rest.sort(key=lambda pair: sort_key(pair[1], language))
    return tuple(first + rest)


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs: the programme's countries first, then the others in the viewer's language's order."""
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
