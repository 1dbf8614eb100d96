"""A readable name for the browser and system behind a User-Agent header (ua-parser, with the uap-core rules)."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from ua_parser import parse


@lru_cache(maxsize=512)
def _parts(user_agent: str) -> tuple[str | None, str | None, str | None]:
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    if browser and result.user_agent and result.user_agent.major:
        browser = f"{browser} {result.user_agent.major}"
    system = result.os.family if result.os else None
    if system and result.os and result.os.major:
        system = f"{system} {result.os.major}"
    device = result.device.family if result.device and result.device.family not in {"Other", "Spider"} else None
    return browser, system, device


def describe(user_agent: str | None) -> str:
    """A readable name such as "Firefox 133 on Windows 10", "Mobile Safari 17 on iOS 17 (iPhone)" or "Unknown device"
    (in the viewer's language)."""
    browser, system, device = _parts((user_agent or "")[:400])
    if browser and system:
        text = _("%(browser)s on %(system)s", browser=browser, system=system)
    else:
        text = browser or system or _("Unknown device")
    if device and device not in text:
        text = f"{text} ({device})"
    return text
