"""A round's offer settings (the answer deadline) and its next-steps checklist in three languages, and the admitted
applicant's ticks.

Changing the round's deadline moves the deadline of every offer of the round still waiting for an answer that was made
at the release (a place offered later from the waiting list keeps the deadline it was given).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from portal import db
from portal.accounts.models import User
from portal.applications.models import IntakeRound
from portal.core import audit
from portal.core.versions import check_version, flush_new_or_stale, version_of
from portal.offers.models import ChecklistItem, ChecklistTick, Offer, OfferSettings, OfferState
from portal.offers.services import OfferError, settings_of

TEXT_MAX = 500
LANGUAGES = ("de", "en", "zh")


@dataclass(frozen=True)
class ItemInput:
    """One row of the checklist form: the item it edits (None for a new one) and its three texts."""

    item_id: int | None
    de: str
    en: str
    zh: str

    @property
    def empty(self) -> bool:
        return not (self.de.strip() or self.en.strip() or self.zh.strip())


def items_of(intake: IntakeRound) -> list[ChecklistItem]:
    query = select(ChecklistItem).where(ChecklistItem.round_id == intake.id)
    return list(db.session.scalars(query.order_by(ChecklistItem.position, ChecklistItem.id)))


def _checked_rows(rows: list[ItemInput], known: dict[int, ChecklistItem]) -> dict[str, str]:
    """What is wrong with each row, by row (its step number is in the message: the form shows it above the list)."""
    errors: dict[str, str] = {}
    for index, row in enumerate(rows):
        problem = None
        if row.item_id is not None and row.item_id not in known:
            problem = _("This step no longer exists. Please reload the page.")
        elif not row.empty and not row.en.strip():
            problem = _("Please give the English text: it is shown where no translation is given.")
        elif any(len(text.strip()) > TEXT_MAX for text in (row.de, row.en, row.zh)):
            problem = _("Please keep each text under %(count)d characters.", count=TEXT_MAX)
        if problem:
            errors[f"items-{index}"] = _("Step %(number)d: %(problem)s", number=index + 1, problem=problem)
    return errors


def save_settings(
    intake: IntakeRound,
    *,
    deadline: dt.datetime | None,
    rows: list[ItemInput],
    by: User,
    now: dt.datetime,
    expected_version: int | None,
) -> OfferSettings:
    """Save the round's answer deadline and checklist; an emptied row removes its step (and the applicants' ticks)."""
    settings = settings_of(intake)
    check_version(settings, expected_version)
    known = {item.id: item for item in items_of(intake)}
    errors = _checked_rows(rows, known)
    if deadline is not None and deadline <= now and (settings is None or settings.deadline != deadline):
        errors["deadline"] = _("Please choose a deadline in the future.")
    if errors:
        raise OfferError("", fields=errors)
    if settings is None:
        settings = OfferSettings(round_id=intake.id)
        db.session.add(settings)
    moved = settings.deadline != deadline
    settings.deadline, settings.updated_at = deadline, now  # every save bumps the version, the checklist's too
    kept = _save_items(intake, rows, known)
    flush_new_or_stale(lambda: version_of(settings_of(intake)))
    if moved and deadline is not None:
        _move_open_offers(intake, deadline, now)
    audit.record(
        "offers.settings_saved",
        intake,
        actor_id=by.id,
        details={"deadline": deadline.isoformat() if deadline else None, "steps": kept, "deadline_moved": moved},
    )
    return settings


def _save_items(intake: IntakeRound, rows: list[ItemInput], known: dict[int, ChecklistItem]) -> int:
    """Write the rows in their order; returns how many steps the checklist has now."""
    position = 0
    for row in rows:
        item = known.pop(row.item_id, None) if row.item_id is not None else None
        if row.empty:
            if item is not None:
                db.session.delete(item)
            continue
        if item is None:
            item = ChecklistItem(round_id=intake.id)
            db.session.add(item)
        position += 1
        item.position = position
        item.text_de, item.text_en, item.text_zh = row.de.strip(), row.en.strip(), row.zh.strip()
    for item in known.values():  # rows the form did not send stay, after the others
        position += 1
        item.position = position
    return position


def _move_open_offers(intake: IntakeRound, deadline: dt.datetime, now: dt.datetime) -> None:
    db.session.execute(
        update(Offer)
        .where(
            Offer.round_id == intake.id,
            Offer.state == OfferState.OFFERED,
            Offer.from_waiting_list.is_(False),
        )
        .values(deadline=deadline, version=Offer.version + 1)
        .execution_options(synchronize_session="fetch")
    )


# --- The applicant's ticks ----------------------------------------------------------------------------------------


def checklist(offer: Offer) -> list[tuple[ChecklistItem, bool]]:
    """The round's next steps, each with whether the applicant ticked it."""
    ticked = set(db.session.scalars(select(ChecklistTick.item_id).where(ChecklistTick.offer_id == offer.id)))
    return [(item, item.id in ticked) for item in items_of(offer.application.intake_round)]


def shows_checklist(offer: Offer, now: dt.datetime) -> bool:
    """The checklist is for an applicant who still has the place: offered (not expired) or accepted."""
    return offer.status(now) in (OfferState.OFFERED, OfferState.ACCEPTED)


def tick(offer: Offer, item_ids: set[int], *, by: User, now: dt.datetime) -> list[int]:
    """Store which of the round's next steps the applicant has done (the ticks sent are the whole set)."""
    if not shows_checklist(offer, now):
        raise OfferError(_("The next steps are only for applicants who still hold their place."))
    items = {item.id for item in items_of(offer.application.intake_round)}
    if not item_ids <= items:
        raise OfferError(_("This step no longer exists. Please reload the page."))
    before = set(db.session.scalars(select(ChecklistTick.item_id).where(ChecklistTick.offer_id == offer.id)))
    removed, added = before - item_ids, item_ids - before
    if removed:
        db.session.execute(
            delete(ChecklistTick).where(ChecklistTick.offer_id == offer.id, ChecklistTick.item_id.in_(removed))
        )
    for item_id in sorted(added):
        db.session.add(ChecklistTick(offer_id=offer.id, item_id=item_id, ticked_at=now))
    flush_new_or_stale()
    audit.record(
        "offer.checklist_ticked",
        offer.application,
        actor_id=by.id,
        details={"offer_id": offer.id, "ticked": sorted(added), "unticked": sorted(removed)},
    )
    return sorted(item_ids)
