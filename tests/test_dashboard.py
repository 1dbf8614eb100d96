"""The coordinators' dashboard: the numbers of a known round, days in the viewer's zone, a fixed number of queries,
charts as accessible inline SVG with a table of the same numbers, the round chooser, and who may not see it; the
domain-free chart builders of portal.core.charts."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from portal import db
from portal.applications.models import ApplicationState
from portal.core import charts
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.dashboard import services as stats
from portal.review.models import Recommendation, Review, ReviewAssignment
from portal.supervisors.models import ResearchField
from tests.factories import (
    ApplicationFactory,
    IntakeRoundFactory,
    committee_member,
    complete_application,
    supervisor,
)

S = ApplicationState
UTC = dt.UTC


# Factories store files under PORTAL_DATA_DIR, which needs the app's configuration.
pytestmark = pytest.mark.usefixtures("plain_app_context")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def application(
    intake, *, state, submitted_at=None, german="TUC", chinese="TONGJI", field=None, nationality="CN", letters=0
):
    """A complete application of the round in state, with letters received from that many referees."""
    draft = ApplicationFactory(
        intake_round=intake, german_supervisor=supervisor(german), chinese_supervisor=supervisor(chinese)
    )
    app_ = complete_application(draft)
    app_.state = state
    app_.nationality = nationality
    if field is not None:
        app_.research_field = field
    if submitted_at is not None:
        app_.submitted_at = submitted_at
        app_.reference = f"IPK-2027-{app_.id:04d}"
    for referee in app_.referees[:letters]:
        referee.letter_received_at = utcnow()
        referee.letter_text = "Excellent."
    db.session.flush()
    return app_


def assign(app_, reviewer, *, submitted: bool | None) -> ReviewAssignment:
    """An assignment; submitted=None: no review yet, False: a draft review, True: a submitted one."""
    assignment = ReviewAssignment(application=app_, reviewer=reviewer)
    db.session.add(assignment)
    if submitted is not None:
        assignment.review = Review(
            score_academic=4,
            score_proposal=4,
            score_fit=4,
            score_language=4,
            score_references=4,
            recommendation=Recommendation.ADMIT,
            submitted_at=utcnow() if submitted else None,
        )
    db.session.flush()
    return assignment


@pytest.fixture
def scenario():
    """A round open from 1 November (10:00 Berlin) to 5 November 2026 (23:59 Berlin), and its applications.

    | app | state        | submitted (UTC)    | German | Chinese | field            | nationality | letters |
    | a1  | submitted    | 1 Nov 10:00        | TUC    | TONGJI  | energy_hydrogen  | CN          | 2       |
    | a2  | under review | 2 Nov 23:30        | UGOE   | SCU     | big_data         | CN          | 1       |
    | a3  | decided      | 3 Nov 12:00        | TUC    | TONGJI  | materials        | DE          | 0       |
    | a4  | draft        | (none)             | LUH    | ZZU     |                  | IN          | 0       |
    | a5  | withdrawn    | 1 Nov 12:00        | TUBS   | BUAA    |                  | FR          | 2       |
    Another round has one submitted application, which counts nowhere here.
    """
    intake = IntakeRoundFactory(name="Intake <2027> & more", opens_at=at(1, 9), closes_at=at(5, 22, 59))
    a1 = application(intake, state=S.SUBMITTED, submitted_at=at(1, 10), field=ResearchField.ENERGY_HYDROGEN, letters=2)
    a2 = application(
        intake,
        state=S.UNDER_REVIEW,
        submitted_at=at(2, 23, 30),
        german="UGOE",
        chinese="SCU",
        field=ResearchField.BIG_DATA,
        letters=1,
    )
    a3 = application(intake, state=S.DECIDED, submitted_at=at(3, 12), field=ResearchField.MATERIALS, nationality="DE")
    application(intake, state=S.DRAFT, german="LUH", chinese="ZZU", nationality="IN")
    a5 = application(
        intake, state=S.WITHDRAWN, submitted_at=at(1, 12), german="TUBS", chinese="BUAA", nationality="FR", letters=2
    )
    other = IntakeRoundFactory(opens_at=at(1, 9) - dt.timedelta(days=400), closes_at=at(5, 9) - dt.timedelta(days=400))
    elsewhere = application(other, state=S.SUBMITTED, submitted_at=at(2, 10) - dt.timedelta(days=400))

    anna = committee_member("LUH", name="Anna Albrecht")
    bo = committee_member("TONGJI", name="Bo Chen")
    committee_member("UGOE", name="Clara Idle")  # a member without assignments in this round
    assign(a1, anna, submitted=True)
    assign(a2, anna, submitted=None)
    assign(a3, anna, submitted=True)
    assign(a1, bo, submitted=False)  # a draft review is not submitted
    assign(a5, bo, submitted=True)  # withdrawn: no longer part of the round's reviewing
    assign(elsewhere, bo, submitted=True)  # another round
    db.session.commit()
    return intake


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, timezone="Europe/Berlin")


# --- The numbers ---------------------------------------------------------------------------------------------------


def test_counts_by_state_university_field_and_nationality(scenario):
    data = stats.round_stats(scenario, "Europe/Berlin")
    assert dict(data.by_state) == {
        S.DRAFT: 1,
        S.SUBMITTED: 1,
        S.UNDER_REVIEW: 1,
        S.DECIDED: 1,
        S.WITHDRAWN: 1,
    }
    assert (data.total, data.submitted) == (5, 3)
    german = {entry.university.code: entry.count for entry in data.german_universities}
    chinese = {entry.university.code: entry.count for entry in data.chinese_universities}
    assert german == {"TUC": 2, "UGOE": 1, "LUH": 0, "TUBS": 0, "UOS": 0}
    assert chinese == {"TONGJI": 2, "SCU": 1, "ZZU": 0, "BUAA": 0}
    fields = dict(data.by_field)
    assert fields[ResearchField.ENERGY_HYDROGEN] == fields[ResearchField.BIG_DATA] == 1
    assert fields[ResearchField.MATERIALS] == 1 and fields[ResearchField.DIGITAL_HEALTH] == 0
    assert None not in fields
    assert data.by_nationality == [("CN", 2), ("DE", 1)]


def test_submissions_per_day_count_in_the_viewers_zone(scenario):
    berlin = stats.round_stats(scenario, "Europe/Berlin").per_day
    assert [day.day for day, _count in berlin] == [1, 2, 3, 4, 5]
    # a2 was submitted at 23:30 UTC on 2 November: already 3 November in Berlin; a5 counts although withdrawn.
    assert [count for _day, count in berlin] == [2, 0, 2, 0, 0]
    new_york = stats.round_stats(scenario, "America/New_York").per_day
    assert [(day.day, count) for day, count in new_york] == [(1, 2), (2, 1), (3, 1), (4, 0), (5, 0)]
    # Half-hour zones are exact too: 23:30 UTC is 05:00 on 3 November in Kolkata.
    kolkata = dict((day.day, count) for day, count in stats.round_stats(scenario, "Asia/Kolkata").per_day)
    assert kolkata[2] == 0 and kolkata[3] == 2


def test_letters_missing_and_review_progress(scenario):
    data = stats.round_stats(scenario, "Europe/Berlin")
    assert data.letters == [(0, 1), (1, 1), (2, 1)]
    assert data.letters_missing == 2
    progress = {r.name: (r.assigned, r.submitted) for r in data.reviewers}
    assert progress == {"Anna Albrecht": (3, 2), "Bo Chen": (1, 0), "Clara Idle": (0, 0)}
    assert [r.name for r in data.reviewers] == ["Anna Albrecht", "Bo Chen", "Clara Idle"]


def test_an_empty_round_has_zeros_and_every_day(app):
    intake = IntakeRoundFactory(opens_at=at(1, 9), closes_at=at(3, 9))
    data = stats.round_stats(intake, "Asia/Shanghai")
    assert data.total == data.submitted == data.letters_missing == 0
    assert [count for _day, count in data.per_day] == [0, 0, 0]
    assert data.by_nationality == [] and all(count == 0 for _f, count in data.by_field)


# --- The page ------------------------------------------------------------------------------------------------------


class Tables(HTMLParser):
    """The chart tables of a page: {table id: {row header: [cells]}}."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table" and "chart-table" in (attributes.get("class") or ""):
            self._table = attributes["id"]
            self.tables[self._table] = {}
        elif self._table and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            if self._row:
                self.tables[self._table][self._row[0]] = self._row[1:]
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def dashboard(client, intake=None) -> str:
    response = client.get("/coordination/" + (f"?round={intake.id}" if intake else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_page_shows_every_number_in_tables(client, coordinator, scenario):
    tables = Tables(dashboard(client, scenario)).tables
    assert tables["by-state-table"]["Submitted"] == ["1"] and tables["by-state-table"]["Draft"] == ["1"]
    assert tables["by-state-table"]["Total"] == ["5"]
    assert tables["german-universities-table"]["Clausthal University of Technology"] == ["2"]
    assert tables["chinese-universities-table"]["Sichuan University"] == ["1"]
    assert tables["by-field-table"]["Big Data"] == ["1"] and tables["by-field-table"]["Total"] == ["3"]
    assert tables["by-nationality-table"] == {
        "Nationality": ["Applications"],
        "China": ["2"],
        "Germany": ["1"],
        "Total": ["3"],
    }
    per_day = tables["per-day-table"]
    days = ("Nov 1", "Nov 2", "Nov 3", "Nov 4", "Nov 5")
    assert [per_day[day] for day in days] == [["2"], ["0"], ["2"], ["0"], ["0"]]
    assert tables["letters-table"]["0 letters"] == ["1"] and tables["letters-table"]["1 letter"] == ["1"]
    assert tables["reviews-table"]["Anna Albrecht"] == ["3", "2"]
    assert tables["reviews-table"]["Clara Idle"] == ["0", "0"]


def test_page_speaks_the_viewers_language(client, login_as, scenario):
    login_as(Role.COORDINATOR, language="zh", timezone="Asia/Shanghai")
    tables = Tables(dashboard(client, scenario)).tables
    assert tables["by-nationality-table"]["中国"] == ["2"]
    assert tables["by-nationality-table"]["德国"] == ["1"]
    assert tables["chinese-universities-table"]["四川大学"] == ["1"]
    assert tables["per-day-table"]["11月3日"] == ["2"]


CHART_IDS = (
    "by-state",
    "per-day",
    "german-universities",
    "chinese-universities",
    "by-field",
    "by-nationality",
    "letters",
    "reviews",
)
EXTERNAL = re.compile(r"""(?:src|href|action|xlink:href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def test_charts_are_accessible_inline_svg_with_nothing_from_elsewhere(client, coordinator, scenario):
    response = client.get(f"/coordination/?round={scenario.id}")
    page = response.get_data(as_text=True)
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(svgs) == len(CHART_IDS)
    for chart_id, svg in zip(CHART_IDS, svgs, strict=True):
        assert f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert re.search(rf'<title id="{chart_id}-title">[^<]+</title><desc id="{chart_id}-desc">[^<]+</desc>', svg)
        assert "style=" not in svg and "<script" not in svg and "<image" not in svg and "<use" not in svg
        assert f'id="{chart_id}-table"' in page
    assert not EXTERNAL.search(page)
    # The round's name is text, escaped everywhere (the title of the chart included).
    assert "Intake <2027>" not in page
    assert '<title id="by-state-title">Applications of Intake &lt;2027&gt; &amp; more by state</title>' in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_query_count_does_not_grow_with_the_applications(client, coordinator, count_queries):
    def round_with(count: int, reviewers: int) -> int:
        intake = IntakeRoundFactory(opens_at=at(1, 9), closes_at=at(20, 9))
        members = [committee_member() for _ in range(reviewers)]
        for n in range(count):
            app_ = application(
                intake,
                state=S.SUBMITTED,
                submitted_at=at(1 + n % 15, 10),
                nationality=("CN", "DE", "IN", "VN")[n % 4],
                letters=n % 3,
                field=list(ResearchField)[n % 7],
            )
            assign(app_, members[n % reviewers], submitted=bool(n % 2))
        db.session.commit()
        return intake.id

    def fetch(round_id):
        def run():
            assert client.get(f"/coordination/?round={round_id}").status_code == 200

        return run

    few_id = round_with(1, reviewers=1)
    client.get("/coordination/")  # the first request also loads the signed-in user: warm up
    few_count = count_queries(fetch(few_id))  # one application, one committee member
    many_id = round_with(12, reviewers=5)
    assert count_queries(fetch(many_id)) == few_count  # twelve applications, six committee members
    assert count_queries(fetch(few_id)) == few_count
    assert few_count <= 14


def test_default_is_the_current_round_and_the_chooser_lists_all(client, coordinator):
    IntakeRoundFactory(
        name="Intake long ago", opens_at=at(1, 9) - dt.timedelta(days=800), closes_at=at(5, 9) - dt.timedelta(days=800)
    )
    current = IntakeRoundFactory(name="Intake now")  # open now
    db.session.commit()
    page = dashboard(client)
    assert '<h2 id="round-heading" class="h4">Intake now</h2>' in page
    assert f'<option value="{current.id}" selected>Intake now</option>' in page
    assert "Intake long ago</option>" in page


def test_without_rounds_the_page_says_so(client, coordinator):
    assert "There are no intake rounds yet." in dashboard(client)


@pytest.mark.parametrize("query", ["?round=999999", "?round=abc"])
def test_unknown_round_is_404(client, coordinator, query):
    assert client.get(f"/coordination/{query}").status_code == 404


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_other_roles_may_not_see_the_dashboard(client, login_as, scenario, role):
    login_as(role)
    assert client.get(f"/coordination/?round={scenario.id}").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/coordination/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


# --- The chart builders ---------------------------------------------------------------------------------------------


def test_bar_chart_escapes_text_and_has_a_table_with_the_same_numbers(app):
    chart = charts.bar_chart(
        "demo",
        title='Ranks <b>"bold"</b>',
        description="Two & three",
        label_header="Name",
        labels=["<script>alert(1)</script>", "B" * 60],
        series=[charts.Series("Count", [2, 3]), charts.Series("Done", [1, 0])],
        total_label="Sum",
    )
    svg, table = str(chart.svg), str(chart.table)
    assert "<script>" not in svg and "<script>" not in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "&lt;script&gt;" in table
    assert '<title id="demo-title">Ranks &lt;b&gt;&#34;bold&#34;&lt;/b&gt;</title>' in svg
    assert '<desc id="demo-desc">Two &amp; three</desc>' in svg
    assert svg.count("<rect") == 4 + 2  # four bars and two legend keys
    assert "B" * 60 in table and "B" * 29 + "…" in svg  # shortened in the drawing, whole in the table
    assert '<tfoot><tr><th scope="row">Sum</th><td class="text-end">5</td><td class="text-end">1</td>' in table
    assert chart.totals == (5, 1)
    # The longest bar spans the plot; a zero draws nothing.
    widths = [float(w) for w in re.findall(r'<rect x="200" y="[^"]+" width="([^"]+)"', svg)]
    assert max(widths) == pytest.approx(640 - 64 - 200) and 0.0 in widths


def test_line_chart_draws_every_point_and_labels_some_days(app):
    labels = [f"Day {n}" for n in range(1, 31)]
    chart = charts.line_chart(
        "days",
        title="Per day",
        description="Thirty days",
        label_header="Day",
        labels=labels,
        series=[charts.Series("Submitted", [n % 4 for n in range(30)])],
    )
    svg = str(chart.svg)
    assert svg.count("<circle") == 30 and svg.count("<polyline") == 1
    axis_labels = re.findall(r'text-anchor="middle" fill="#6c757d">([^<]+)</text>', svg)
    assert 2 <= len(axis_labels) <= 9 and axis_labels[0] == "Day 1"
    assert len(re.findall(r"<tr><th scope=\"row\">Day \d+</th>", str(chart.table))) == 30


def test_empty_chart_still_has_its_title_and_a_note(app):
    chart = charts.bar_chart(
        "none",
        title="Nothing",
        description="No rows",
        label_header="x",
        labels=[],
        series=[charts.Series("n", [])],
        empty_text="Nothing yet",
    )
    assert chart.empty and "Nothing yet" in chart.svg and 'role="img"' in chart.svg


@pytest.mark.parametrize(
    ("chart_id", "labels", "values"),
    [
        ("Bad id", ["a"], [1]),
        ('x" onload="', ["a"], [1]),
        ("ok", ["a", "b"], [1]),
        ("ok", ["a"], [-1]),
        ("ok", ["a"], [float("nan")]),
    ],
)
def test_chart_builders_refuse_bad_input(chart_id, labels, values):
    with pytest.raises(ValueError):
        charts.bar_chart(
            chart_id, title="t", description="d", label_header="h", labels=labels, series=[charts.Series("s", values)]
        )
    with pytest.raises(ValueError):
        charts.line_chart(
            chart_id, title="t", description="d", label_header="h", labels=labels, series=[charts.Series("s", values)]
        )


def test_series_colours_must_be_plain_hex(app):
    with pytest.raises(ValueError):
        charts.bar_chart(
            "ok",
            title="t",
            description="d",
            label_header="h",
            labels=["a"],
            series=[charts.Series("s", [1], colour='red" onclick="x')],
        )
    chart = charts.bar_chart(
        "ok",
        title="t",
        description="d",
        label_header="h",
        labels=["a"],
        series=[charts.Series("s", [1], colour="#112233")],
    )
    assert 'fill="#112233"' in chart.svg


def test_nice_ticks():
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(3) == [0, 1, 2, 3]
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(230) == [0, 50, 100, 150, 200, 250]
