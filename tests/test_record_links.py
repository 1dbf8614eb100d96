"""Where an application's staff record is reached from (every list that names the application), and the reviewers'
comments beyond the record: the ranking (folded per row), the decision page, the ranking export, the dashboard's list
of strong disagreements."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from portal import db
from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core.roles import Role
from portal.review import disagreements, ranking
from portal.review.models import StatementAnswer
from tests.conftest import sign_in
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_decision,
    add_review,
    add_statement,
    committee_member,
    judged,
    supervisor,
)

pytestmark = pytest.mark.usefixtures("plain_app_context")

S = ApplicationState
COMMENT = "=Strong record; a clear plan.\nThe methods need work."
DRAFT_COMMENT = "Still thinking about this one."


@pytest.fixture
def scenario():
    """A round: `split` (reviewers 5.0 and 3.4 apart, commented), `close` (4.0 and 2.6: exactly 1.4 apart), `decided`
    (5.0 and 2.0 apart, but decided), each with a German supervisor at TUC and a Chinese one at TONGJI."""
    intake = IntakeRoundFactory()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    member = committee_member("TUBS", name="Anna Becker")
    tuc, tongji = supervisor("TUC"), supervisor("TONGJI")
    split = judged(intake, state=S.UNDER_REVIEW, family="Split", german=tuc, chinese=tongji)
    add_review(split, 5, reviewer=member).review.comment = COMMENT
    add_review(split, (4, 3, 3, 4, 3), reviewer=UserFactory(roles=[Role.COMMITTEE], name="Li Na"))
    add_review(split, 2, submitted=False).review.comment = DRAFT_COMMENT
    close = judged(intake, state=S.UNDER_REVIEW, family="Close", german=tuc, chinese=tongji)
    add_review(close, 4)
    add_review(close, (3, 3, 3, 2, 2))
    decided = judged(intake, state=S.DECIDED, family="Decided", german=tuc, chinese=tongji)
    add_review(decided, 5)
    add_review(decided, 2)
    add_decision(decided, DecisionOutcome.REJECT)
    add_statement(split, tuc, StatementAnswer.WILLING)
    db.session.commit()
    return {
        "intake": intake.id,
        "coordinator": coordinator,
        "member": member,
        "supervisor": tuc.user,
        "split": split.id,
        "split_reference": split.reference,
        "close": close.id,
        "decided": decided.id,
    }


def record_link(application_id: int) -> str:
    return f'href="/staff/applications/{application_id}"'


# --- Entry points -----------------------------------------------------------------------------------------------------


def test_every_coordinator_list_links_to_the_record(client, scenario):
    sign_in(client, scenario["coordinator"])
    intake, split = scenario["intake"], scenario["split"]
    for page in (
        f"/coordination/applications/?round={intake}",
        f"/review/rounds/{intake}/ranking",
        f"/review/application/{split}/decision",
        f"/coordination/pairing/?round={intake}",
        f"/coordination/office/TUC/?round={intake}",
        f"/coordination/office/TONGJI/?round={intake}",
        f"/coordination/?round={intake}",
        f"/review/application/{split}/history",
        f"/review/application/{split}",
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        assert record_link(split) in response.get_data(as_text=True), page


def test_a_reviewers_list_and_a_supervisors_page_link_to_the_record(client, scenario):
    sign_in(client, scenario["member"])
    assert record_link(scenario["split"]) in client.get("/review/").get_data(as_text=True)
    assert client.get(f"/staff/applications/{scenario['split']}").status_code == 200
    sign_in(client, scenario["supervisor"])
    assert record_link(scenario["split"]) in client.get(f"/supervise/{scenario['split']}").get_data(as_text=True)


# --- The dashboard's strong disagreements -----------------------------------------------------------------------------


def test_the_dashboard_lists_undecided_applications_whose_reviewers_disagree_strongly(client, scenario):
    found = disagreements.disagreements(scenario["intake"])
    assert [(item.application_id, item.spread) for item in found] == [(scenario["split"], pytest.approx(1.6))]
    # The same rule as the ranking's flag: 1.4 apart is not flagged there either.
    rows = {row.application.id: row for row in ranking.ranking(scenario["intake"], ranking.RankingFilter())}
    assert rows[scenario["split"]].large_disagreement and not rows[scenario["close"]].large_disagreement
    sign_in(client, scenario["coordinator"])
    page = client.get(f"/coordination/?round={scenario['intake']}").get_data(as_text=True)
    items = re.findall(r'class="attention-item"><a href="/staff/applications/(\d+)"', page)
    assert items == [str(scenario["split"])]
    assert "Reviewers disagree strongly" in page


# --- The comments in the ranking, on the decision page, in the export -------------------------------------------------


def test_the_ranking_folds_each_rows_comments_away(client, scenario):
    sign_in(client, scenario["coordinator"])
    page = client.get(f"/review/rounds/{scenario['intake']}/ranking").get_data(as_text=True)
    start = page.index(f'data-reference="{scenario["split_reference"]}"')
    following = page.find("data-reference=", start + 1)  # the row ends where the next one begins (cells hold tables)
    row = page[start : following if following != -1 else None]
    details = re.search(
        r'<details class="review-comments mt-1">\s*<summary>1 comment</summary>(.*?)</details>', row, re.S
    )
    assert details is not None
    assert "Anna Becker" in details.group(
        1
    ) and "=Strong record; a clear plan.\nThe methods need work." in details.group(1)
    assert DRAFT_COMMENT not in page  # a draft's words stay with its author


def test_the_decision_page_shows_the_comments_unfolded(client, scenario):
    sign_in(client, scenario["coordinator"])
    page = client.get(f"/review/application/{scenario['split']}/decision").get_data(as_text=True)
    assert '<details class="review-comments mt-1" open>' in page and "The methods need work." in page
    assert DRAFT_COMMENT not in page


def test_the_ranking_export_has_a_neutralised_comment_column_per_reviewer(client, scenario):
    sign_in(client, scenario["coordinator"])
    response = client.get(f"/coordination/ranking/{scenario['intake']}/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    split = next(row for row in rows if row["Reference"] == scenario["split_reference"])
    comments = {
        split["Reviewer 1"]: split["Comment of reviewer 1"],
        split["Reviewer 2"]: split["Comment of reviewer 2"],
    }
    assert comments == {"Anna Becker": "'" + COMMENT, "Li Na": ""}
    assert DRAFT_COMMENT not in response.get_data(as_text=True)

    response = client.get(f"/coordination/ranking/{scenario['intake']}/export.xlsx")
    content = response.get_data()
    response.close()
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    header, *body = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    assert header.count("Comment of reviewer 1") == 1 and "Comment of reviewer 2" in header
    split = next(dict(zip(header, row, strict=True)) for row in body if row[0] == scenario["split_reference"])
    assert "'" + COMMENT in (split["Comment of reviewer 1"], split["Comment of reviewer 2"])
