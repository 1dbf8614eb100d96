"""Language and time zone of the current viewer, for Flask-Babel."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_datetime, get_timezone_location
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import force_locale, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user

from portal.core.countries import country_choices
from portal.core.timeutil import PROGRAMME_ZONES, in_zone, is_valid_timezone, timezone_names

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "zh": "中文"}


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this session, else the browser's best match."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        if session.get("language") != current_user.language:
            # Kept in the session cookie too, so that a page made without the database (the 503 page) speaks it.
            session["language"] = current_user.language
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def load_languages(app: Flask) -> None:
    """Load each language's translation catalogue and its country names (CLDR's, sorted for the language) when the app
    is built, once per process: some 30-60 ms at start-up that a worker's first page or export in each language would
    otherwise spend (the country names in Chinese are sorted by their pinyin)."""
    with app.app_context():
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                get_translations()
                country_choices()


def select_timezone() -> str:
    """The signed-in user's time zone, else the programme's default (Berlin)."""
    signed_in = has_request_context() and current_user and current_user.is_authenticated
    if signed_in and is_valid_timezone(current_user.timezone):
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


# --- Dates and zones: one format per language, minutes not seconds, the zone named by its city ---------------------

DATE_TIME_PATTERNS = {"de": "dd.MM.yyyy, HH:mm", "en": "d MMM yyyy, HH:mm", "zh": "yyyy年M月d日 HH:mm"}
NAMED_FORMATS = frozenset({"short", "medium", "long", "full"})
# The zones most people of the programme live in, offered first (after Berlin and Shanghai).
COMMON_ZONES = (
    "Europe/London",
    "Europe/Paris",
    "Europe/Vienna",
    "Europe/Zurich",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
)


def _language() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale else "en"


# Translations of the labels every enum keeps as lazy strings, per language and message: the catalogs do not change
# while the process runs, and a list of 50 rows asks for the same few labels hundreds of times.
_TRANSLATED: dict[tuple[str, Any, tuple[Any, ...]], str] = {}


def translated(text: Any) -> str:
    """A lazy label in the viewer's language, translated once per language and process (a label with variables, or
    any other text, as it comes)."""
    if not isinstance(text, LazyString) or text._kwargs:
        return str(text)
    locale = get_locale()  # also outside a request, where an email is written in its recipient's language
    key = (str(locale), text._func, text._args)
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = str(text)
    return found


def zone_label(zone: str) -> str:
    """A zone's name as people say it, in the viewer's language: its city ("Berlin", "上海"); the same on every
    page and in every email."""
    return get_timezone_location(zone, locale=_language(), return_city=True)


def format_moment(moment: dt.datetime | None, zone: str, pattern: str | None = None) -> str:
    """A moment in a zone, in the viewer's language, to the minute, with the zone's city: "14.04.2027, 23:59
    (Berlin)"."""
    if moment is None:
        return "\u2013"
    return _formatted_moment(moment, zone, pattern, _language())


@lru_cache(maxsize=4096)  # a list shows the same moments (a release, a deadline) on many rows
def _formatted_moment(moment: dt.datetime, zone: str, pattern: str | None, language: str) -> str:
    local = in_zone(moment, zone)
    pattern = pattern or DATE_TIME_PATTERNS.get(language, DATE_TIME_PATTERNS["en"])
    text = format_datetime(local.replace(tzinfo=None), pattern, locale=language)
    return f"{text} ({get_timezone_location(zone, locale=language, return_city=True)})"


def format_in_programme_zones(moment: dt.datetime | None) -> str:
    """A moment in Berlin and in Shanghai: "14.04.2027, 23:59 (Berlin) · 15.04.2027, 05:59 (Shanghai)"."""
    if moment is None:
        return "\u2013"
    return " · ".join(format_moment(moment, zone) for zone in PROGRAMME_ZONES)


def _offset(zone: str) -> str:
    return dt.datetime.now(ZoneInfo(zone)).strftime("%z")


def zone_choice_label(zone: str, language: str) -> str:
    """How a zone is offered in a list: "Shanghai, China (UTC+08:00)"."""
    territory = get_global("zone_territories").get(zone)
    country = Locale.parse(language).territories.get(territory, "") if territory else ""
    offset = _offset(zone)
    city = get_timezone_location(zone, locale=language, return_city=True)
    return f"{city}, {country} (UTC{offset[:3]}:{offset[3:]})" if country else f"{city} (UTC{offset[:3]}:{offset[3:]})"


def timezone_options() -> list[tuple[str, str]]:
    """(zone, readable name) for the lists people choose from: the programme's zones and the common ones first, then
    the others by their offset from UTC, each once (aliases such as Asia/Chungking, named like Shanghai, left out)."""
    return list(_timezone_options(_language(), dt.date.today()))


@cache  # per language and day: the offsets move with summer time
def _timezone_options(language: str, day: dt.date) -> tuple[tuple[str, str], ...]:
    first = [*PROGRAMME_ZONES, *COMMON_ZONES]
    others = sorted((zone for zone in timezone_names() if zone not in first), key=lambda z: (int(_offset(z)), z))
    options, seen = [], set()
    for zone in [*first, *others]:
        city = (get_timezone_location(zone, locale="en", return_city=True), _offset(zone))
        if city not in seen:
            seen.add(city)
            options.append((zone, zone_choice_label(zone, language)))
    return tuple(options)
