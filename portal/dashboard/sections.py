"""The dashboard's sections: each of a round's numbers as a chart (inline SVG) with its table, heading and note."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_skeleton
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from portal.core.charts import Chart, Series, bar_chart, line_chart
from portal.core.countries import country_name
from portal.core.i18n import zone_label
from portal.dashboard.services import RoundStats, UniversityCount

# Above this many rows a chart's table is folded away, so that the page stays readable.
LONG_TABLE_ROWS = 12


@dataclass(frozen=True)
class Section:
    """A chart with its heading and a line of explanation above it."""

    heading: str
    note: str
    chart: Chart
    long_table: bool = False  # many rows: the table is folded away (a <details>) so the page stays readable


def sections(data: RoundStats) -> list[Section]:
    """Every section of the round's dashboard, in the page's order."""
    return [
        _by_state(data),
        _per_day(data),
        _by_university(data, "german-universities", _("German university chosen"), data.german_universities),
        _by_university(data, "chinese-universities", _("Chinese university chosen"), data.chinese_universities),
        _by_field(data),
        _by_nationality(data),
        _letters(data),
        _reviews(data),
    ]


def _short_day(day: dt.date) -> str:
    return format_skeleton("MMMd", day, locale=get_locale() or "en")


def _submitted_in_all(count: int) -> str:
    return ngettext("%(num)d submitted application in all.", "%(num)d submitted applications in all.", count)


def _counted(chart_id: str, title: str, description: str, label_header: str, pairs: list, **options) -> Chart:
    """A bar chart of (label, number of applications) pairs."""
    return bar_chart(
        chart_id,
        title=title,
        description=description,
        label_header=label_header,
        labels=[label for label, _count in pairs],
        series=[Series(_("Applications"), [count for _label, count in pairs])],
        total_label=_("Total"),
        **options,
    )


def _by_state(data: RoundStats) -> Section:
    return Section(
        _("Applications by state"),
        _("All applications of the round, drafts and withdrawn ones included."),
        _counted(
            "by-state",
            _("Applications of %(round)s by state", round=data.intake.name),
            ngettext("%(num)d application in all.", "%(num)d applications in all.", data.total),
            _("State"),
            [(state.label, count) for state, count in data.by_state],
        ),
    )


def _per_day(data: RoundStats) -> Section:
    days = data.per_day
    first, last = (_short_day(days[0][0]), _short_day(days[-1][0])) if days else ("", "")
    chart = line_chart(
        "per-day",
        title=_("Submissions per day in %(round)s", round=data.intake.name),
        description=_(
            "Submitted applications per day from %(first)s to %(last)s (%(zone)s): %(num)d in all.",
            first=first,
            last=last,
            zone=zone_label(data.zone),
            num=sum(count for _day, count in days),
        ),
        label_header=_("Day"),
        labels=[_short_day(day) for day, _count in days],
        series=[Series(_("Submitted"), [count for _day, count in days])],
        total_label=_("Total"),
        width=1040,  # the chart takes the page's whole width
    )
    note = _(
        "Applications submitted on each day from the opening to the closing of the round (days in your time "
        "zone, %(zone)s), including applications withdrawn later.",
        zone=zone_label(data.zone),
    )
    return Section(_("Submissions per day"), note, chart, long_table=True)


def _by_university(data: RoundStats, chart_id: str, heading: str, entries: list[UniversityCount]) -> Section:
    return Section(
        heading,
        _("Submitted applications (submitted, under review or decided) by the university of the supervisor."),
        _counted(
            chart_id,
            _("%(heading)s in %(round)s", heading=heading, round=data.intake.name),
            _submitted_in_all(sum(entry.count for entry in entries)),
            _("University"),
            [(entry.university.name, entry.count) for entry in entries],
        ),
    )


def _by_field(data: RoundStats) -> Section:
    return Section(
        _("Research fields"),
        _("Submitted applications by research field."),
        _counted(
            "by-field",
            _("Research fields in %(round)s", round=data.intake.name),
            _submitted_in_all(data.submitted),
            _("Research field"),
            [(field.label if field else _("Not given"), count) for field, count in data.by_field],
        ),
    )


def _by_nationality(data: RoundStats) -> Section:
    nationalities = sorted(
        ((country_name(code) or _("Not given"), count) for code, count in data.by_nationality),
        key=lambda pair: (-pair[1], pair[0].casefold()),
    )
    chart = _counted(
        "by-nationality",
        _("Nationalities in %(round)s", round=data.intake.name),
        _(
            "%(num)d submitted applications from %(countries)d countries.",
            num=data.submitted,
            countries=len(nationalities),
        ),
        _("Nationality"),
        nationalities,
        empty_text=_("No application has been submitted yet."),
    )
    note = _("Submitted applications by the applicant's nationality, the most frequent first.")
    return Section(_("Nationalities"), note, chart, long_table=len(nationalities) > LONG_TABLE_ROWS)


def _letters(data: RoundStats) -> Section:
    return Section(
        _("Letters of recommendation"),
        _("Submitted applications by the number of letters received (two are needed)."),
        _counted(
            "letters",
            _("Letters of recommendation received in %(round)s", round=data.intake.name),
            _(
                "%(missing)d of %(num)d submitted applications have fewer than two letters.",
                missing=data.letters_missing,
                num=data.submitted,
            ),
            _("Letters received"),
            [(ngettext("%(num)d letter", "%(num)d letters", received), count) for received, count in data.letters],
        ),
    )


def _reviews(data: RoundStats) -> Section:
    reviewers = data.reviewers
    chart = bar_chart(
        "reviews",
        title=_("Review progress in %(round)s", round=data.intake.name),
        description=_(
            "%(submitted)d of %(assigned)d assigned reviews have been submitted.",
            submitted=sum(r.submitted for r in reviewers),
            assigned=sum(r.assigned for r in reviewers),
        ),
        label_header=_("Committee member"),
        labels=[reviewer.name for reviewer in reviewers],
        series=[
            Series(_("Assigned"), [r.assigned for r in reviewers]),
            Series(_("Submitted"), [r.submitted for r in reviewers]),
        ],
        total_label=_("Total"),
        empty_text=_("There are no committee members yet."),
    )
    note = _("Reviews assigned to each committee member for this round's submitted applications, and submitted.")
    return Section(_("Review progress"), note, chart, long_table=len(reviewers) > LONG_TABLE_ROWS)
