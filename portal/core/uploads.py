"""Sending an uploaded file back: sandboxed, never sniffed, never cached, named as RFC 6266 says.

A file someone uploaded is untrusted content served from the portal's own origin. Its response carries its own
Content-Security-Policy: `sandbox` (a unique origin: no script, no cookies, no forms, no top navigation) and
`default-src 'none'` (it loads nothing). Shown inline, it may be framed by the portal's own pages only
(`frame-ancestors 'self'`, and X-Frame-Options SAMEORIGIN for browsers without CSP level 2); as a download it may not
be framed at all. Chromium's PDF viewer needs nothing more: measured with Debian's Chromium 156, it renders a PDF in a
same-origin frame and in its own tab under exactly this policy, with no sandbox token (tests/test_browser_review.py
looks at it).
"""

from __future__ import annotations

import re
import unicodedata
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, send_file

SANDBOX = "sandbox; default-src 'none'"
INLINE_POLICY = f"{SANDBOX}; frame-ancestors 'self'"
ATTACHMENT_POLICY = f"{SANDBOX}; frame-ancestors 'none'"
# What RFC 5987 lets stand unencoded in a filename* value (attr-char).
_ATTR_CHARS = "!#$&+-.^_`|~"


def _plain(text: str) -> str:
    """Text in plain ASCII: accents dropped, other scripts gone, anything odd in a file name replaced."""
    simple = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9 ._()-]+", "_", simple).strip(" ._")


def ascii_name(name: str, default: str) -> str:
    """The file name in plain ASCII for the `filename` parameter (accents dropped); default when no letter or digit
    of its stem survives (a name in Chinese script, say)."""
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, _plain(suffix)) if dot else (name, "")
    plain_stem = _plain(stem)
    if not re.search(r"[A-Za-z0-9]", plain_stem):
        return default
    return f"{plain_stem}.{suffix}" if suffix else plain_stem


def disposition_parameters(name: str, default: str) -> dict[str, str]:
    """An ASCII `filename` and, when the name is not plain ASCII, the exact name as `filename*` in UTF-8 (RFC 6266,
    section 4.3: a browser that understands `filename*` prefers it)."""
    fallback = ascii_name(name, default)
    if fallback == name:
        return {"filename": name}
    return {"filename": fallback, "filename*": f"UTF-8''{quote(name, safe=_ATTR_CHARS)}"}


def send_upload(handle: BinaryIO, name: str, *, inline: bool, mimetype: str, default: str) -> Response:
    """The uploaded file as a response: shown in the browser when inline (the portal's pages may frame it), else a
    download; with the sandboxing policy, nosniff, and no cache keeping it."""
    response = send_file(handle, mimetype=mimetype, conditional=False, etag=False)
    headers = response.headers
    headers.set("Content-Disposition", "inline" if inline else "attachment", **disposition_parameters(name, default))
    headers["Content-Security-Policy"] = INLINE_POLICY if inline else ATTACHMENT_POLICY
    headers["X-Frame-Options"] = "SAMEORIGIN" if inline else "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "private, no-store"
    return response
