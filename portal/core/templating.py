"""What every template can use: the viewer's language, the navigation by role, date formatting in a zone."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_date, get_locale
from flask_login import current_user
from jinja2.ext import Extension

from portal.core.countries import country_name
from portal.core.i18n import (
    LANGUAGE_NAMES,
    NAMED_FORMATS,
    format_in_programme_zones,
    format_moment,
    select_timezone,
    zone_label,
)
from portal.core.timeutil import in_zone
from portal.core.urls import link_by_id

# A line's indentation before a tag or a template statement: only the source's layout (nothing in the portal's HTML
# templates sits in a <pre> or <textarea> indented), yet a tenth of a long table's bytes.
INDENTATION = re.compile(r"\n[ \t]+(?=[<{])")


class Dedent(Extension):
    """Drops the indentation of the HTML templates' lines when they are compiled (once per process): smaller pages at
    no cost per request; plain-text templates (the emails) keep theirs."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return INDENTATION.sub("\n", source) if name and name.endswith(".html") else source


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    roles: frozenset[str]
    order: int
    signed_out_only: bool = False


_NAV_ITEMS: list[NavItem] = []


def register_nav_item(
    endpoint: str, label: Any, *, roles: tuple[str, ...] = (), order: int = 50, signed_out_only: bool = False
) -> None:
    """Add a navigation link shown to users holding any of roles (to everyone signed in if roles is empty); a
    signed_out_only link is left out for the signed-in (their menu must fit one row)."""
    if all(item.endpoint != endpoint for item in _NAV_ITEMS):
        _NAV_ITEMS.append(NavItem(endpoint, label, frozenset(str(r) for r in roles), order, signed_out_only))
        _NAV_ITEMS.sort(key=lambda item: item.order)


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str
    active: bool


def navigation_items() -> list[NavLink]:
    """The links the current viewer may follow."""
    links = []
    for item in _NAV_ITEMS:
        if item.signed_out_only and current_user.is_authenticated:
            continue
        if "public" not in item.roles:
            if not current_user.is_authenticated:
                continue
            if item.roles and not any(current_user.has_role(role) for role in item.roles):
                continue
        links.append(NavLink(url_for(item.endpoint), str(item.label), request.endpoint == item.endpoint))
    return links


def current_language() -> str:
    """The language code of the page being rendered."""
    locale = get_locale()
    return locale.language if locale else "en"


def format_in_zone(moment: dt.datetime | None, zone: str, fmt: str = "medium") -> str:
    """A moment shown in a named zone, in the viewer's language, to the minute, with the zone's city ("14.04.2027,
    23:59 (Berlin)"); fmt: a Babel pattern, or a named width (all widths give the one format of the language)."""
    return format_moment(moment, zone, None if fmt in NAMED_FORMATS else fmt)


def format_date_in_zone(moment: dt.datetime | None, zone: str, fmt: str = "long") -> str:
    """The calendar day of a moment in a named zone, in the viewer's language."""
    return format_date(in_zone(moment, zone).date(), fmt) if moment else "\u2013"


def format_local(moment: dt.datetime | None, fmt: str = "medium") -> str:
    """A moment in the viewer's own zone and language, in the one format of the language."""
    return format_moment(moment, select_timezone(), None if fmt in NAMED_FORMATS else fmt)


def init_app(app: Flask) -> None:
    """Register the context processor and filters."""

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            "current_language": current_language,
            "language_names": LANGUAGE_NAMES,
            "navigation_items": navigation_items,
            "country_name": country_name,
            "zone_label": zone_label,
            "link_by_id": link_by_id,
        }

    app.jinja_env.add_extension(Dedent)
    app.jinja_env.filters["in_zone"] = format_in_zone
    app.jinja_env.filters["in_programme_zones"] = format_in_programme_zones
    app.jinja_env.filters["date_in_zone"] = format_date_in_zone
    app.jinja_env.filters["datetime"] = format_local
