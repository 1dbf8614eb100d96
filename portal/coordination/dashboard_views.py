"""The coordinators' dashboard: the numbers of a round, each as a chart (inline SVG) and as a table."""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_skeleton
from flask import abort, current_app, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from portal.coordination import stats
from portal.coordination.views import bp
from portal.core.charts import Chart, Series, bar_chart, line_chart
from portal.core.countries import country_name
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.timeutil import is_valid_timezone, utcnow


@dataclass(frozen=True)
class Section:
    """A chart with its heading and a line of explanation above it."""

    heading: str
    note: str
    chart: Chart
    long_table: bool = False  # many rows: the table is folded away (a <details>) so the page stays readable


def _viewer_zone() -> str:
    zone = getattr(current_user, "timezone", "")
    return zone if is_valid_timezone(zone) else current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _short_day(day) -> str:
    locale = get_locale()
    return format_skeleton("MMMd", day, locale=locale or "en")


def _submitted_in_all(count: int) -> str:
    return ngettext("%(num)d submitted application in all.", "%(num)d submitted applications in all.", count)


def _sections(data: stats.RoundStats) -> list[Section]:
    name = data.intake.name
    applications, total = _("Applications"), _("Total")
    nationalities = sorted(
        ((country_name(code) or _("Not given"), count) for code, count in data.by_nationality),
        key=lambda pair: (-pair[1], pair[0].casefold()),
    )
    days = data.per_day
    first, last = (_short_day(days[0][0]), _short_day(days[-1][0])) if days else ("", "")
    sections = [
        Section(
            _("Applications by state"),
            _("All applications of the round, drafts and withdrawn ones included."),
            bar_chart(
                "by-state",
                title=_("Applications of %(round)s by state", round=name),
                description=ngettext("%(num)d application in all.", "%(num)d applications in all.", data.total),
                label_header=_("State"),
                labels=[state.label for state, _count in data.by_state],
                series=[Series(applications, [count for _state, count in data.by_state])],
                total_label=total,
            ),
        ),
        Section(
            _("Submissions per day"),
            _(
                "Applications submitted on each day from the opening to the closing of the round (days in your time "
                "zone, %(zone)s), including applications withdrawn later.",
                zone=data.zone,
            ),
            line_chart(
                "per-day",
                title=_("Submissions per day in %(round)s", round=name),
                description=_(
                    "Submitted applications per day from %(first)s to %(last)s (%(zone)s): %(num)d in all.",
                    first=first,
                    last=last,
                    zone=data.zone,
                    num=sum(count for _day, count in days),
                ),
                label_header=_("Day"),
                labels=[_short_day(day) for day, _count in days],
                series=[Series(_("Submitted"), [count for _day, count in days])],
                total_label=total,
                width=1040,  # the chart takes the page's whole width
            ),
            long_table=True,
        ),
    ]
    for chart_id, heading, entries in (
        ("german-universities", _("German university chosen"), data.german_universities),
        ("chinese-universities", _("Chinese university chosen"), data.chinese_universities),
    ):
        sections.append(
            Section(
                heading,
                _("Submitted applications (submitted, under review or decided) by the university of the supervisor."),
                bar_chart(
                    chart_id,
                    title=_("%(heading)s in %(round)s", heading=heading, round=name),
                    description=_submitted_in_all(sum(entry.count for entry in entries)),
                    label_header=_("University"),
                    labels=[entry.university.name for entry in entries],
                    series=[Series(applications, [entry.count for entry in entries])],
                    total_label=total,
                ),
            )
        )
    sections += [
        Section(
            _("Research fields"),
            _("Submitted applications by research field."),
            bar_chart(
                "by-field",
                title=_("Research fields in %(round)s", round=name),
                description=_submitted_in_all(data.submitted),
                label_header=_("Research field"),
                labels=[field.label if field else _("Not given") for field, _count in data.by_field],
                series=[Series(applications, [count for _field, count in data.by_field])],
                total_label=total,
            ),
        ),
        Section(
            _("Nationalities"),
            _("Submitted applications by the applicant's nationality, the most frequent first."),
            bar_chart(
                "by-nationality",
                title=_("Nationalities in %(round)s", round=name),
                description=_(
                    "%(num)d submitted applications from %(countries)d countries.",
                    num=data.submitted,
                    countries=len(nationalities),
                ),
                label_header=_("Nationality"),
                labels=[label for label, _count in nationalities],
                series=[Series(applications, [count for _label, count in nationalities])],
                total_label=total,
                empty_text=_("No application has been submitted yet."),
            ),
            long_table=len(nationalities) > 12,
        ),
        Section(
            _("Letters of recommendation"),
            _("Submitted applications by the number of letters received (two are needed)."),
            bar_chart(
                "letters",
                title=_("Letters of recommendation received in %(round)s", round=name),
                description=_(
                    "%(missing)d of %(num)d submitted applications have fewer than two letters.",
                    missing=data.letters_missing,
                    num=data.submitted,
                ),
                label_header=_("Letters received"),
                labels=[ngettext("%(num)d letter", "%(num)d letters", received) for received, _count in data.letters],
                series=[Series(applications, [count for _received, count in data.letters])],
                total_label=total,
            ),
        ),
        Section(
            _("Review progress"),
            _("Reviews assigned to each committee member for this round's submitted applications, and submitted."),
            bar_chart(
                "reviews",
                title=_("Review progress in %(round)s", round=name),
                description=_(
                    "%(submitted)d of %(assigned)d assigned reviews have been submitted.",
                    submitted=sum(r.submitted for r in data.reviewers),
                    assigned=sum(r.assigned for r in data.reviewers),
                ),
                label_header=_("Committee member"),
                labels=[reviewer.name for reviewer in data.reviewers],
                series=[
                    Series(_("Assigned"), [r.assigned for r in data.reviewers]),
                    Series(_("Submitted"), [r.submitted for r in data.reviewers]),
                ],
                total_label=total,
                empty_text=_("There are no committee members yet."),
            ),
            long_table=len(data.reviewers) > 12,
        ),
    ]
    return sections


@bp.get("/")
@roles_required(Role.COORDINATOR)
def dashboard():
    round_id = request.args.get("round", type=int)
    if "round" in request.args and round_id is None:
        abort(404)
    intake = stats.chosen_round(round_id, utcnow())
    if round_id is not None and intake is None:
        abort(404)
    data = stats.round_stats(intake, _viewer_zone()) if intake else None
    # The bulk mail page lives in its own module, mounted on this blueprint once portal.coordination.views imports it.
    bulkmail_url = None
    if intake is not None and "coordination.bulkmail" in current_app.view_functions:
        bulkmail_url = url_for("coordination.bulkmail", round=intake.id)
    return render_template(
        "coordination/dashboard.html",
        intake=intake,
        rounds=stats.rounds(),
        data=data,
        sections=_sections(data) if data else [],
        bulkmail_url=bulkmail_url,
    )
