"""The ranking with all scores, exported as CSV and Excel and read back."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from portal import db
from portal.applications.models import ApplicationState as S
from portal.core.roles import Role
from tests.factories import IntakeRoundFactory, UserFactory, add_review, judged


@pytest.fixture
def round_with_scores(app):
    with app.app_context():
        intake = IntakeRoundFactory()
        top = judged(intake, state=S.UNDER_REVIEW, family="=HYPERLINK(1)")
        add_review(top, (5, 5, 4, 4, 5), reviewer=UserFactory(roles=[Role.COMMITTEE], name="Anna Becker"))
        add_review(top, 3, reviewer=UserFactory(roles=[Role.COMMITTEE], name="=Li Na"))
        low = judged(intake, state=S.SUBMITTED, family="Zhang")
        add_review(low, 2, reviewer=UserFactory(roles=[Role.COMMITTEE], name="Ma Jun"))
        db.session.commit()
        return {"id": intake.id, "top": top.reference, "low": low.reference}


def test_csv_has_every_reviewers_scores_mean_and_spread(client, login_as, round_with_scores):
    login_as(Role.COORDINATOR)
    response = client.get(f"/coordination/ranking/{round_with_scores['id']}/export.csv")
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [row["Reference"] for row in rows] == [round_with_scores["top"], round_with_scores["low"]]  # by mean
    top = rows[0]
    assert {top["Reviewer 1"], top["Reviewer 2"]} == {"Anna Becker", "'=Li Na"}  # a formula is neutralised
    assert top["Mean score"] == "3.80" and top["Spread"] == "1.60" and top["Large disagreement"] == "yes"
    assert rows[1]["Mean score"] == "2.00" and rows[1]["Reviewer 2"] == ""


def test_excel_reads_back_with_scores(client, login_as, round_with_scores):
    login_as(Role.COORDINATOR)
    response = client.get(f"/coordination/ranking/{round_with_scores['id']}/export.xlsx")
    assert response.status_code == 200
    content = response.get_data()
    response.close()
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    header, first = rows[0], rows[1]
    scores = [first[i] for i, title in enumerate(header) if title == "Academic record"]
    assert sorted(scores) == [3, 5]
    assert first[header.index("Mean score")] == "3.80"


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_only_coordinators_export_the_ranking(client, login_as, round_with_scores, role):
    login_as(role)
    assert client.get(f"/coordination/ranking/{round_with_scores['id']}/export.csv").status_code == 403
