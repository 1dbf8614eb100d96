"""The letters' texts: the coordinators' template per kind and language (or the built-in one), its placeholders
checked with the bulk mail's mechanism, and filled in for one application.

A placeholder is a plain `{name}` from LETTER_PLACEHOLDERS: anything else in braces is refused with a message next to
the field (`{name.__class__}`, `{0}`, `{name!r}`), so a text can never run code or reach other data; the values are a
dict of strings, filled in with `str.format_map`. `{{` and `}}` write a brace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core import audit
from portal.core.rules import RuleViolation
from portal.core.templating import format_date_in_zone
from portal.core.timeutil import PROGRAMME_ZONES
from portal.core.versions import check_version, flush_new_or_stale, version_of
from portal.letters.models import LETTER_LANGUAGES, LetterKind, LetterTemplate
from portal.notifications.placeholders import sort_placeholders
from portal.plans.models import PlanVersion
from portal.supervisors.models import SupervisorProfile

BODY_MAX = 10_000
LETTER_PLACEHOLDERS = (
    "name",
    "reference",
    "programme",
    "round",
    "german_supervisor",
    "german_university",
    "chinese_supervisor",
    "chinese_university",
    "date",
    "acceptance_deadline",
    "plan_title",
    "duration",
    "months_germany",
    "months_china",
)

DEFAULT_TEXTS = {
    LetterKind.ADMISSION: _l(
        "Dear {name},\n\nWe are pleased to confirm that you have been admitted to the {programme} (intake round "
        "{round}, reference number {reference}).\n\nYour doctorate will be supervised jointly by {german_supervisor} "
        "({german_university}) and {chinese_supervisor} ({chinese_university}).\n\nPlease confirm that you accept the "
        "place by {acceptance_deadline}."
    ),
    LetterKind.INVITATION: _l(
        "To the China Scholarship Council,\n\nI hereby invite {name} to carry out the doctoral project "
        "\u201c{plan_title}\u201d at {german_university} under my supervision, jointly with {chinese_supervisor} "
        "({chinese_university}).\n\nThe project takes {duration} months: {months_germany} months at "
        "{german_university} and {months_china} months at {chinese_university}, as set out in the joint research "
        "plan that both supervisors have approved."
    ),
}


class LetterError(RuleViolation):
    """A letter template or a letter cannot be saved or made as it is."""


def template_of(kind: LetterKind, language: str) -> LetterTemplate | None:
    return db.session.scalar(
        select(LetterTemplate).where(LetterTemplate.kind == kind, LetterTemplate.language == language)
    )


def text_of(kind: LetterKind, language: str) -> str:
    """The coordinators' text, or the built-in one in that language."""
    template = template_of(kind, language)
    if template is not None:
        return template.body
    with force_locale(language):
        return str(DEFAULT_TEXTS[kind])


def check_text(body: str) -> str:
    """Refuse an empty, overlong text or one with an unknown placeholder (the message names it); the text, trimmed."""
    body = (body or "").strip()
    if not body:
        raise LetterError(_("Please write the letter's text."), field="body")
    if len(body) > BODY_MAX:
        raise LetterError(_("The text can have at most %(num)d characters.", num=BODY_MAX), field="body")
    try:
        _used, unknown = sort_placeholders(body, "body", LETTER_PLACEHOLDERS)
    except RuleViolation as error:  # a brace left open: the bulk mail's message, as a refusal of the letter
        raise LetterError(error.message, field="body") from error
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in LETTER_PLACEHOLDERS)
        raise LetterError(
            _(
                "Unknown placeholder: %(placeholders)s. You can use %(allowed)s; write {{ or }} for a brace itself.",
                placeholders=", ".join(unknown),
                allowed=allowed,
            ),
            field="body",
        )
    return body


def save_template(
    kind: LetterKind, language: str, body: str, *, by: User, expected_version: int | None, now: dt.datetime
) -> LetterTemplate:
    """Save the coordinators' text of a letter in one language; audited with the text."""
    if language not in LETTER_LANGUAGES:
        raise LetterError(_("Please choose one of the languages."))
    template = template_of(kind, language)
    check_version(template, expected_version)
    body = check_text(body)
    if template is None:
        template = LetterTemplate(kind=kind, language=language, body=body)
        db.session.add(template)
    template.body, template.updated_at, template.updated_by_id = body, now, by.id
    flush_new_or_stale(lambda: version_of(template_of(kind, language)))
    audit.record("letters.template_saved", template, details={"kind": kind.value, "language": language, "body": body})
    return template


@dataclass(frozen=True)
class LetterFacts:
    """What a letter names, beyond the applicant: the approved plan's version (the invitation) and the deadline."""

    plan: PlanVersion | None = None
    acceptance_deadline: dt.datetime | None = None
    today: dt.datetime | None = None


def _university(profile: SupervisorProfile | None, language: str) -> str:
    if profile is None:
        return ""
    university = profile.university
    return {"de": university.name_de, "zh": university.name_zh}.get(language, university.name_en)


def values_for(application: Application, facts: LetterFacts, language: str) -> dict[str, str]:
    """Every placeholder's value for application, in language (dates in Berlin time, where the letters are signed)."""
    german, chinese, plan = application.german_supervisor, application.chinese_supervisor, facts.plan
    with force_locale(language):
        deadline = facts.acceptance_deadline
        return {
            "name": application.display_name,
            "reference": application.reference or "",
            "programme": _("International Doctoral College"),
            "round": application.intake_round.name,
            "german_supervisor": german.display_name if german else "",
            "german_university": _university(german, language),
            "chinese_supervisor": chinese.display_name if chinese else "",
            "chinese_university": _university(chinese, language),
            "date": format_date_in_zone(facts.today, PROGRAMME_ZONES[0]) if facts.today else "",
            "acceptance_deadline": (
                format_date_in_zone(deadline, PROGRAMME_ZONES[0]) if deadline else _("the date given in your offer")
            ),
            "plan_title": plan.title if plan else "",
            "duration": str(plan.months_total) if plan else "",
            "months_germany": str(plan.months_germany) if plan else "",
            "months_china": str(plan.months_china) if plan else "",
        }


def fill(kind: LetterKind, language: str, application: Application, facts: LetterFacts) -> str:
    """The letter's text in language for application."""
    body = check_text(text_of(kind, language))  # a text saved before a placeholder was retired is refused, not run
    return body.format_map(values_for(application, facts, language))
