"""What a form sent when it could not be accepted (the session had ended, the CSRF token was stale) is kept for the
page it came from, so that the person, signed in again, finds every typed word back in the form.

The fields are kept server-side (a long text does not fit a cookie); the browser holds the row's id and a token
whose hash only is stored. A page that restores forms asks `take_kept_post` on its GET; the row is then deleted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text, delete
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from portal import db
from portal.core.timeutil import utcnow
from portal.core.tokens import new_token, token_matches
from portal.extensions import login_manager

SESSION_KEY = "kept_post"
KEPT_HOURS = 24
MAX_CHARS = 400_000  # far above the longest form of the portal, far below what a row should hold
NOT_KEPT = frozenset({"csrf_token"})
V = TypeVar("V", bound=Callable[..., Any])
AUTOSAVE_HEADER = "X-Autosave"  # sent by static/js/portal.js: the answer is JSON, not a page

SIGNED_OUT = _l(
    "Your session has ended. Please sign in again: what you typed has been kept and will be back in the form."
)
EXPIRED = _l("The form had expired. What you typed is back in the form: please check it and save again.")


class KeptPost(db.Base):
    """The fields of one refused form post, for the page at `path`, until it is restored or expires."""

    __tablename__ = "kept_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    fields: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow, index=True)


def keeps_typed_text(view: V) -> V:
    """Mark a page (GET and POST) that gives a refused post back into its form: only such posts are kept."""
    view.keeps_typed_text = True  # type: ignore[attr-defined]
    return view


def page_path() -> str | None:
    """The page this POST belongs to, when that page gives kept posts back; else None (nothing is kept)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return request.path if getattr(view, "keeps_typed_text", False) else None


def _same_site() -> bool:
    """Whether the post came from a page of this site: another site's form must not plant text in a person's forms."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/") == request.host_url.rstrip("/")


def keep_post() -> str | None:
    """Keep the fields of this POST (files excepted) for its page; the page's path, or None when nothing was kept."""
    path = page_path() if request.method == "POST" and _same_site() else None
    sent = request.form.items(multi=True)
    fields = [(name, value) for name, value in sent if name not in NOT_KEPT and "password" not in name]
    text = json.dumps(fields, ensure_ascii=False)
    if path is None or not fields or len(text) > MAX_CHARS:
        return None
    forget_kept_post()
    token, digest = new_token()
    row = KeptPost(token_hash=digest, path=path, fields=text, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    session[SESSION_KEY] = {"id": row.id, "token": token}
    return path


def _own_row() -> KeptPost | None:
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict) or not isinstance(held.get("id"), int) or not isinstance(held.get("token"), str):
        return None
    row = db.session.get(KeptPost, held["id"])
    if row is None or not token_matches(held["token"], row.token_hash):
        return None
    return row


def take_kept_post(path: str) -> MultiDict | None:
    """The fields this browser kept for the page at path (once: they are forgotten as they are given back)."""
    row = _own_row() if SESSION_KEY in session else None
    if row is None or row.path != path:
        return None
    fresh = utcnow() - row.created_at < dt.timedelta(hours=KEPT_HOURS)
    fields = json.loads(row.fields)
    forget_kept_post()
    return MultiDict([(str(name), str(value)) for name, value in fields]) if fresh else None


def forget_kept_post() -> None:
    """Forget what this browser kept."""
    row = _own_row()
    if row is not None:
        db.session.delete(row)
    session.pop(SESSION_KEY, None)


def forget_old_kept_posts(now: dt.datetime) -> int:
    """Delete every kept post older than KEPT_HOURS (for the daily job); how many."""
    result = db.session.execute(delete(KeptPost).where(KeptPost.created_at < now - dt.timedelta(hours=KEPT_HOURS)))
    return int(result.rowcount or 0)


def is_autosave() -> bool:
    """Whether this request is a page saving itself in the background (it wants JSON)."""
    return request.headers.get(AUTOSAVE_HEADER) == "1"


def answer_refused_post(signed_in: bool):
    """Keep this refused POST and lead the person on: back to the page (signed in) or through sign-in to it. None
    when there was nothing to keep."""
    path = keep_post()
    if path is None:
        return None
    message = EXPIRED if signed_in else SIGNED_OUT
    if is_autosave():
        return jsonify(saved=False, kept=True, error=str(message), signed_out=not signed_in), 202  # kept: committed
    flash(message, "warning")
    return redirect(path if signed_in else url_for(login_manager.login_view, next=path))
