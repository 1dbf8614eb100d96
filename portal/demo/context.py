"""How the demo data is written: a simulated clock (and actor) for what the services write without a time of their
own, the shared state of one seeding run, and one-page PDFs for the uploaded documents."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.timeutil import utcnow
from portal.supervisors.models import Country, SupervisorProfile

SEED = 2026
DAY = dt.timedelta(days=1)


class Clock:
    """The simulated time and actor, applied to what the services write without a time (or actor) of their own."""

    def __init__(self) -> None:
        self.now = utcnow()
        self.actor_id: int | None = None

    def at(self, when: dt.datetime, actor: User | None = None) -> dt.datetime:
        self.now, self.actor_id = when, actor.id if actor is not None else None
        return when

    def before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        for obj in session.new:
            self._stamp(obj)
        for obj in session.dirty:
            if isinstance(obj, Application) and session.is_modified(obj, include_collections=False):
                obj.updated_at = self.now

    def _stamp(self, obj: Any) -> None:
        """A new row: the acting user of an audit event, an email marked as sent, the time it was made or granted."""
        if isinstance(obj, AuditEvent) and obj.actor_id is None:
            obj.actor_id = self.actor_id
        if isinstance(obj, OutboxEmail):
            obj.state, obj.attempts, obj.next_attempt_at, obj.sent_at = OutboxState.SENT, 1, self.now, self.now
        for name in ("created_at", "granted_at"):
            if hasattr(type(obj), name) and getattr(obj, name) is None:
                setattr(obj, name, self.now)


@contextmanager
def simulated(clock: Clock) -> Iterator[None]:
    """While seeding: every flush applies the clock's time and actor."""
    hook = clock.before_flush
    event.listen(db.session, "before_flush", hook)
    try:
        yield
    finally:
        event.remove(db.session, "before_flush", hook)


def ascii_only(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines (Latin script: the built-in font has no Chinese glyphs)."""
    pdf = FPDF(format="A4")
    pdf.set_creator("Promotionskolleg demo data")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 12, ascii_only(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, ascii_only(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


@dataclass
class Context:
    """What one seeding run shares: the random generator, the clock, the accounts and profiles it uses."""

    rng: random.Random
    clock: Clock
    password_hash: str
    users: dict[str, User]
    profiles: dict[Country, list[SupervisorProfile]]
    admitted: Counter  # (round id, profile id) -> planned admissions
