"""Redirect helpers that never send a user off the site."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_safe_local_path(target: str | None) -> bool:
    """Whether target is a path on this site (no scheme, no host, no protocol-relative or backslash trick)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target and "\n" not in target
