"""The ranking of a round: rows, mean, spread and the disagreement flag, statements, sorting and filtering, the
round chooser, a fixed number of queries, and who may not see it."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from portal import db
from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core.roles import Role
from portal.review import ranking
from portal.review.models import StatementAnswer
from portal.supervisors.models import ResearchField
from tests.factories import IntakeRoundFactory, add_decision, add_review, add_statement, judged, supervisor

S = ApplicationState
pytestmark = pytest.mark.usefixtures("plain_app_context")


def references_in(page: str) -> list[str]:
    """The references of the ranking's rows, in the order shown."""
    return re.findall(r'class="ranking-row" data-reference="([^"]+)"', page)


def row_html(page: str, reference: str) -> str:
    """One application's row (its reviews' scores are a small table of their own): up to the next row or the end."""
    start = page.index(f'data-reference="{reference}"')
    following = page.find('class="ranking-row"', start)
    return page[start : following if following != -1 else page.index("</tbody>\n</table>", start)]


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture
def scenario():
    """A round with three judged applications, a draft, a withdrawn one, and one application in another round.

    top:    reviews 5.0 and 3.2 -> mean 4.1, spread 1.8 (large disagreement); both supervisors willing
    middle: reviews 4.0 and 3.0 (+ one not submitted) -> mean 3.5, spread 1.0; Chinese supervisor unwilling
    fresh:  no review yet, Big Data, decided (waiting list)
    """
    intake = IntakeRoundFactory()
    goettingen, tuc, scu, tongji = supervisor("UGOE"), supervisor("TUC"), supervisor("SCU"), supervisor("TONGJI")
    top = judged(intake, state=S.UNDER_REVIEW, family="Zhang", german=goettingen, chinese=tongji)
    add_review(top, 5)
    add_review(top, (3, 3, 4, 3, 3))
    add_statement(top, goettingen, StatementAnswer.WILLING)
    add_statement(top, tongji, StatementAnswer.CONDITIONAL)
    middle = judged(intake, state=S.UNDER_REVIEW, family="Albers", german=tuc, chinese=scu)
    add_review(middle, 4)
    add_review(middle, 3)
    add_review(middle, (2, None, None, None, None), submitted=False)
    add_statement(middle, tuc, StatementAnswer.WILLING)
    add_statement(middle, scu, StatementAnswer.UNWILLING)
    fresh = judged(intake, state=S.DECIDED, family="Meyer", field=ResearchField.BIG_DATA, german=tuc, chinese=tongji)
    add_decision(fresh, DecisionOutcome.WAITING_LIST)
    draft = judged(intake, state=S.DRAFT, german=goettingen, chinese=tongji)
    withdrawn = judged(intake, state=S.WITHDRAWN, german=goettingen, chinese=tongji)
    elsewhere = judged(IntakeRoundFactory(), state=S.SUBMITTED, german=goettingen, chinese=tongji)
    db.session.commit()
    return {
        "intake": intake.id,
        "top": top.reference,
        "middle": middle.reference,
        "fresh": fresh.reference,
        "excluded": [withdrawn.reference, elsewhere.reference, f'id="application-{draft.id}"'],
    }


def test_rows_have_the_reviews_mean_spread_statements_and_decision(scenario):
    rows = {row.application.reference: row for row in ranking.ranking(scenario["intake"], ranking.RankingFilter())}
    assert set(rows) == {scenario["top"], scenario["middle"], scenario["fresh"]}

    top, middle, fresh = rows[scenario["top"]], rows[scenario["middle"]], rows[scenario["fresh"]]
    assert sorted(review.mean for review in top.reviews) == [3.2, 5.0]
    assert top.mean == pytest.approx(4.1) and top.spread == pytest.approx(1.8)
    assert top.large_disagreement and top.co_supervision_agreed
    assert (top.submitted, top.assigned) == (2, 2)

    assert middle.mean == pytest.approx(3.5) and middle.spread == pytest.approx(1.0)
    assert not middle.large_disagreement and not middle.co_supervision_agreed
    assert (middle.submitted, middle.assigned) == (2, 3)
    assert (middle.german_statement, middle.chinese_statement) == (StatementAnswer.WILLING, StatementAnswer.UNWILLING)

    assert fresh.mean is None and fresh.spread is None and not fresh.large_disagreement
    assert (fresh.submitted, fresh.assigned) == (0, 0)
    assert fresh.german_statement is None and not fresh.co_supervision_agreed
    assert fresh.decision.outcome == DecisionOutcome.WAITING_LIST


def test_disagreement_flag_starts_at_the_module_constant(monkeypatch):
    def row_with(*means: Fraction) -> ranking.RankingRow:
        row = ranking.RankingRow(application=None)  # type: ignore[arg-type]
        row.reviews = [ranking.ScoredReview("x", (), None, mean) for mean in means]
        return row

    assert ranking.DISAGREEMENT_SPREAD == 1.5
    assert row_with(Fraction(5), Fraction(7, 2)).large_disagreement  # exactly 1.5
    assert not row_with(Fraction(5), Fraction(18, 5)).large_disagreement  # 1.4
    assert not row_with(Fraction(4)).large_disagreement  # a single review never disagrees
    monkeypatch.setattr(ranking, "DISAGREEMENT_SPREAD", 1.0)
    assert row_with(Fraction(4), Fraction(3)).large_disagreement


def test_ranking_page_shows_rows_by_mean_with_flag_statements_and_decision(client, coordinator, scenario):
    response = client.get(f"/review/rounds/{scenario['intake']}/ranking")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert references_in(page) == [scenario["top"], scenario["middle"], scenario["fresh"]]
    for excluded in scenario["excluded"]:
        assert excluded not in page

    top = row_html(page, scenario["top"])
    assert "4.10" in top and "1.80" in top and "large disagreement" in top and "co-supervision agreed" in top
    assert "2 of 2 submitted" in top and "5.00" in top and "3.20" in top
    middle = row_html(page, scenario["middle"])
    assert "3.50" in middle and "1.00" in middle and "2 of 3 submitted" in middle
    assert "large disagreement" not in middle and "co-supervision agreed" not in middle
    assert "Not willing to supervise" in middle
    fresh = row_html(page, scenario["fresh"])
    assert "Waiting list" in fresh and "not released" in fresh and "0 of 0 submitted" in fresh


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("mean", ["top", "middle", "fresh"]),
        ("spread", ["top", "middle", "fresh"]),
        ("reference", None),  # by reference number
        ("name", ["middle", "fresh", "top"]),  # Albers, Meyer, Zhang
        ("nonsense", ["top", "middle", "fresh"]),  # an unknown order falls back to the mean
    ],
)
def test_sorting(client, coordinator, scenario, sort, expected):
    page = client.get(f"/review/rounds/{scenario['intake']}/ranking?sort={sort}").get_data(as_text=True)
    wanted = (
        sorted([scenario["top"], scenario["middle"], scenario["fresh"]])
        if expected is None
        else [scenario[key] for key in expected]
    )
    assert references_in(page) == wanted


def test_sorting_by_spread_differs_from_mean_when_they_disagree(client, coordinator):
    intake = IntakeRoundFactory()
    calm = judged(intake, family="Calm")
    add_review(calm, 5)
    add_review(calm, 5)  # mean 5.0, spread 0
    torn = judged(intake, family="Torn")
    add_review(torn, 4)
    add_review(torn, 2)  # mean 3.0, spread 2.0
    db.session.commit()
    by_mean = client.get(f"/review/rounds/{intake.id}/ranking?sort=mean").get_data(as_text=True)
    by_spread = client.get(f"/review/rounds/{intake.id}/ranking?sort=spread").get_data(as_text=True)
    assert references_in(by_mean) == [calm.reference, torn.reference]
    assert references_in(by_spread) == [torn.reference, calm.reference]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("university=UGOE", ["top"]),  # German side
        ("university=SCU", ["middle"]),  # Chinese side
        ("university=TONGJI", ["top", "fresh"]),
        ("university=TUC&sort=name", ["middle", "fresh"]),
        ("field=big_data", ["fresh"]),
        ("field=energy_hydrogen&university=TUC", ["middle"]),
        ("university=LUH", []),
    ],
)
def test_filtering_by_university_of_either_supervisor_and_by_field(client, coordinator, scenario, query, expected):
    page = client.get(f"/review/rounds/{scenario['intake']}/ranking?{query}").get_data(as_text=True)
    assert references_in(page) == [scenario[key] for key in expected]


def test_filter_form_keeps_the_choices_and_sort_links_keep_the_filters(client, coordinator, scenario):
    page = client.get(f"/review/rounds/{scenario['intake']}/ranking?university=TUC&field=big_data").get_data(
        as_text=True
    )
    assert '<option selected value="TUC">' in page and '<option selected value="big_data">' in page
    assert f"/review/rounds/{scenario['intake']}/ranking?sort=spread&amp;university=TUC&amp;field=big_data" in page


def _round_with(count: int) -> int:
    intake = IntakeRoundFactory()
    for index in range(count):
        german, chinese = supervisor("TUC"), supervisor("TONGJI")
        application = judged(intake, state=S.UNDER_REVIEW, family=f"Applicant{index}", german=german, chinese=chinese)
        add_review(application, 4)
        add_review(application, (3, 4, 5, 2, 1))
        add_review(application)  # assigned, nothing written yet
        add_statement(application, german, StatementAnswer.WILLING)
        add_statement(application, chinese, StatementAnswer.CONDITIONAL)
        if index % 2:
            application.state = S.DECIDED
            add_decision(application, DecisionOutcome.ADMIT)
    db.session.commit()
    return intake.id


def test_ranking_costs_the_same_number_of_queries_for_few_and_many(client, coordinator, count_queries):
    few, many = _round_with(2), _round_with(9)
    client.get("/review/rounds/")  # the first request also loads the signed-in user: warm up
    pages: dict[tuple[int, str], str] = {}

    def fetch(round_id: int, query: str) -> None:
        response = client.get(f"/review/rounds/{round_id}/ranking{query}")
        assert response.status_code == 200
        pages[round_id, query] = response.get_data(as_text=True)

    for query in ("", "?sort=name&university=TUC", "?field=energy_hydrogen&sort=spread"):
        assert count_queries(lambda q=query: fetch(few, q)) == count_queries(lambda q=query: fetch(many, q))
        assert len(references_in(pages[few, query])) == 2 and len(references_in(pages[many, query])) == 9


@pytest.mark.parametrize("sort", list(ranking.RankingSort))
def test_pages_of_the_ranking_follow_one_another_in_the_order_of_the_whole(sort):
    intake = IntakeRoundFactory()
    for index, scores in enumerate([5, 3, (4, 4, 4, 4, 3), None, 2, 5, (1, 5, 1, 5, 1), 4, None, 3, 3]):
        application = judged(intake, state=S.UNDER_REVIEW, family=f"Family{(index * 7) % 11:02d}")
        if scores is not None:
            add_review(application, scores)
            add_review(application, 3)
    db.session.commit()
    filters = ranking.RankingFilter(sort=sort)
    whole = [row.application.reference for row in ranking.ranking(intake.id, filters)]
    pages = [ranking.ranking_page(intake.id, filters, number, per_page=4) for number in (1, 2, 3)]
    assert [row.application.reference for page in pages for row in page.rows] == whole
    assert [page.total for page in pages] == [11, 11, 11] and [len(page.rows) for page in pages] == [4, 4, 3]
    assert ranking.ranking_page(intake.id, filters, 99, per_page=4).page == 3  # beyond the end: the last page


def test_round_chooser_links_to_ranking_decisions_and_assignments(client, coordinator, scenario):
    response = client.get("/review/rounds/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    intake = scenario["intake"]
    for link in (f"/review/rounds/{intake}/ranking", f"/review/rounds/{intake}/decisions"):
        assert f'href="{link}"' in page
    assert f'href="/review/rounds/{intake}/assignments"' in page
    # The navigation leads coordinators there.
    assert 'href="/review/rounds/"' in client.get("/dashboard").get_data(as_text=True)


def test_unknown_round_is_404(client, coordinator):
    assert client.get("/review/rounds/999999/ranking").status_code == 404


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_other_roles_may_not_see_the_ranking(client, login_as, scenario, role):
    login_as(role)
    assert client.get(f"/review/rounds/{scenario['intake']}/ranking").status_code == 403
    assert client.get("/review/rounds/").status_code == 403
    assert 'href="/review/rounds/"' not in client.get("/dashboard").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, scenario):
    response = client.get(f"/review/rounds/{scenario['intake']}/ranking")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
