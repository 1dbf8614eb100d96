"""The review rubric: what each score of each criterion means, per intake round, in English, German and Chinese.

A round without a rubric of its own uses the default one shipped here (translated like every text of the portal).
Coordinators edit a round's rubric in the three languages; English is required, and an empty German or Chinese text
shows the English one. The review form labels its radio buttons with these words, so that every reviewer reads the
same scale. A rubric is versioned: a save from a page loaded before another save is refused as stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound
from portal.core import audit
from portal.core.one_trip import OneTrip, Pending, attach
from portal.core.rules import RuleViolation
from portal.core.templating import current_language
from portal.core.versions import check_version, flush_new_or_stale, version_of
from portal.review.models import (
    CRITERIA,
    RUBRIC_LANGUAGES,
    RUBRIC_TEXT_MAX,
    Review,
    ReviewAssignment,
    Rubric,
    RubricLevel,
)

SCORES = (1, 2, 3, 4, 5)

# The default rubric: for each criterion, what the scores 1 to 5 mean.
DEFAULT_RUBRIC: dict[str, tuple[object, ...]] = {
    "score_academic": (
        _l("Does not meet the entry requirements, or weak grades"),
        _l("Meets the requirements; grades below average"),
        _l("Good degree with solid grades"),
        _l("Very good grades from a demanding programme"),
        _l("Outstanding: among the best of their cohort"),
    ),
    "score_proposal": (
        _l("No clear research question or method"),
        _l("A question, but vague aims or an unsuitable method"),
        _l("A clear question and a workable method"),
        _l("Well argued, original, feasible in three to four years"),
        _l("Excellent: original, rigorous and clearly feasible"),
    ),
    "score_fit": (
        _l("Outside the programme's fields"),
        _l("Weak link to the co-supervisors' research"),
        _l("Fits one of the co-supervisors well"),
        _l("Fits both co-supervisors and their joint work"),
        _l("Ideal: builds directly on both co-supervisors' work"),
    ),
    "score_language": (
        _l("Cannot yet work in English"),
        _l("Basic English, little experience of other cultures"),
        _l("Good English (about B2)"),
        _l("Very good English (C1) and some German or Chinese"),
        _l("Fluent English, a second language of the programme, time spent abroad"),
    ),
    "score_references": (
        _l("Letters missing or reserved"),
        _l("Lukewarm letters"),
        _l("Positive letters"),
        _l("Strong letters from people who know the work well"),
        _l("Exceptional: among the best the referees have seen"),
    ),
}

# criterion -> score -> the words in one language
RubricWords = dict[str, dict[int, str]]
# (criterion, score, language) -> text, as the coordinators' form edits it
RubricTexts = dict[tuple[str, int, str], str]


class RubricError(RuleViolation):
    """The rubric cannot be saved as sent; `fields` names the texts at fault."""


def field_name(criterion: str, score: int, language: str) -> str:
    """The name of one text of the rubric in forms: score_fit-4-de."""
    return f"{criterion}-{score}-{language}"


def rubric_of(intake: IntakeRound) -> Rubric | None:
    """The round's own rubric with its levels (one query), or None when it uses the default."""
    query = select(Rubric).where(Rubric.round_id == intake.id).options(joinedload(Rubric.levels))
    return db.session.scalars(query).unique().first()


def default_texts() -> RubricTexts:
    """The default rubric in each of the three languages."""
    texts: RubricTexts = {}
    for language in RUBRIC_LANGUAGES:
        with force_locale(language):
            for criterion, words in DEFAULT_RUBRIC.items():
                for score, text in zip(SCORES, words, strict=True):
                    texts[(criterion, score, language)] = str(text)
    return texts


def stored_texts(rubric: Rubric) -> RubricTexts:
    return {
        (level.criterion, level.score, language): getattr(level, f"text_{language}")
        for level in rubric.levels
        for language in RUBRIC_LANGUAGES
    }


def texts_for_editing(intake: IntakeRound) -> tuple[int, RubricTexts]:
    """The rubric's version (0: the round still uses the default) and every text the form shows."""
    rubric = rubric_of(intake)
    return version_of(rubric), default_texts() if rubric is None else {**default_texts(), **stored_texts(rubric)}


def words_for(intake: IntakeRound, language: str | None = None) -> RubricWords:
    """What each score of each criterion means, in language (the page's by default; English where it is empty)."""
    return _words(rubric_of(intake), language)


def words_in(trip: OneTrip, intake_id: int) -> Pending[RubricWords]:
    """words_for the round, in the page's language, its rubric read in the trip."""
    rubrics = trip.objects(select(Rubric).where(Rubric.round_id == intake_id))
    levels = trip.objects(
        select(RubricLevel).join(Rubric, Rubric.id == RubricLevel.rubric_id).where(Rubric.round_id == intake_id)
    )

    def build(rubrics: list[Rubric], levels: list[RubricLevel]) -> RubricWords:
        attach(rubrics, Rubric.levels, levels)
        return _words(rubrics[0] if rubrics else None, None)

    return trip.then(build, rubrics, levels)


def _words(rubric: Rubric | None, language: str | None) -> RubricWords:
    language = language or current_language()
    levels = {(level.criterion, level.score): level for level in rubric.levels} if rubric is not None else {}
    return {
        criterion: {
            score: levels[(criterion, score)].text(language) if (criterion, score) in levels else str(default)
            for score, default in zip(SCORES, defaults, strict=True)
        }
        for criterion, defaults in DEFAULT_RUBRIC.items()
    }


def submitted_reviews(intake: IntakeRound) -> int:
    """How many reviews of the round have been submitted (with the rubric's words as they were then)."""
    query = (
        select(func.count(Review.id))
        .join(ReviewAssignment, Review.assignment_id == ReviewAssignment.id)
        .join(Application, ReviewAssignment.application_id == Application.id)
        .where(Application.round_id == intake.id, Review.submitted_at.is_not(None))
    )
    return db.session.scalar(query) or 0


def _checked(texts: Mapping[tuple[str, int, str], str]) -> RubricTexts:
    """Every text stripped; English required, none too long; RubricError naming each text at fault."""
    cleaned = {
        (criterion, score, language): " ".join(str(texts.get((criterion, score, language)) or "").split())
        for criterion in CRITERIA
        for score in SCORES
        for language in RUBRIC_LANGUAGES
    }
    errors = {}
    for (criterion, score, language), text in cleaned.items():
        name = field_name(criterion, score, language)
        if language == "en" and not text:
            errors[name] = _("English is needed: it is shown where a language is empty.")
        elif len(text) > RUBRIC_TEXT_MAX:
            errors[name] = _("Please shorten this to at most %(limit)d characters.", limit=RUBRIC_TEXT_MAX)
    if errors:
        raise RubricError(_("Please correct the marked texts."), fields=errors)
    return cleaned


def save_rubric(
    intake: IntakeRound,
    texts: Mapping[tuple[str, int, str], str],
    *,
    expected_version: int | None,
    by: User,
    now: dt.datetime,
) -> int:
    """Store the round's rubric as edited (created on the first save); returns how many texts changed."""
    rubric = rubric_of(intake)
    check_version(rubric, expected_version, current=lambda: version_of(rubric_of(intake)))
    cleaned = _checked(texts)
    before = texts_for_editing(intake)[1]
    if rubric is None:
        rubric = Rubric(round_id=intake.id)
        db.session.add(rubric)
    levels = {(level.criterion, level.score): level for level in rubric.levels}
    for criterion in CRITERIA:
        for score in SCORES:
            level = levels.get((criterion, score)) or RubricLevel(criterion=criterion, score=score)
            for language in RUBRIC_LANGUAGES:
                setattr(level, f"text_{language}", cleaned[(criterion, score, language)])
            if level not in rubric.levels:
                rubric.levels.append(level)
    rubric.updated_at, rubric.updated_by_id = now, by.id  # always writes the row: the version moves
    flush_new_or_stale(lambda: version_of(rubric_of(intake)))
    changed = sorted(field_name(*key) for key, text in cleaned.items() if before.get(key) != text)
    audit.record("review.rubric_saved", intake, actor_id=by.id, details={"changed": changed})
    return len(changed)
