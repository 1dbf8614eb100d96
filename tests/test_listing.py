"""The coordinators' applications list (round chooser, filters, search, order, pages, a fixed number of queries),
the doctoral offices' lists and the supervisor pairing list, and who may not see them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re

import pytest

from portal import db
from portal.applications.models import (
    Application,
    ApplicationState,
    DecisionOutcome,
)
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.reporting import lists as listing
from portal.reporting import pairings
from portal.reporting.lists import ListFilter, ListSort
from portal.review.models import StatementAnswer, SupervisorStatement
from portal.supervisors.models import ResearchField
from tests.factories import IntakeRoundFactory, light_application, supervisor

S = ApplicationState


# Factories store files under PORTAL_DATA_DIR, which needs the app's configuration.
pytestmark = pytest.mark.usefixtures("plain_app_context")


# --- Building blocks ------------------------------------------------------------------------------------------------


def ids_in(page: str) -> list[int]:
    """The application ids of the list's rows, in order."""
    return [int(found) for found in re.findall(r'class="application-row" data-id="(\d+)"', page)]


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture
def scenario():
    """The current round with applications of every kind, and an older round with one application."""
    old = IntakeRoundFactory(
        name="Intake 2025", opens_at=utcnow() - dt.timedelta(days=400), closes_at=utcnow() - dt.timedelta(days=350)
    )
    intake = IntakeRoundFactory(name="Intake 2027")
    tuc, luh = supervisor("TUC"), supervisor("LUH")
    tongji, scu = supervisor("TONGJI"), supervisor("SCU")
    now = utcnow()
    apps = {
        "wang": light_application(
            intake,
            family="Wang",
            given="Xiaoming",
            native="王小明",
            german=tuc,
            chinese=tongji,
            decision=DecisionOutcome.ADMIT,
            state=S.DECIDED,
            letters=2,
            submitted_at=now - dt.timedelta(days=3),
        ),
        "mueller": light_application(
            intake,
            family="Müller",
            given="Anna",
            email="anna.mueller@example.org",
            nationality="DE",
            field=ResearchField.BIG_DATA,
            german=luh,
            chinese=tongji,
            decision=DecisionOutcome.WAITING_LIST,
            state=S.DECIDED,
            letters=1,
            submitted_at=now - dt.timedelta(days=5),
        ),
        "li": light_application(
            intake,
            family="Li",
            given="Hua",
            german=luh,
            chinese=scu,
            decision=DecisionOutcome.REJECT,
            state=S.DECIDED,
            submitted_at=now - dt.timedelta(days=1),
        ),
        "chen": light_application(
            intake,
            family="Chen",
            given="Jing",
            nationality="SG",
            field=ResearchField.MATERIALS,
            german=tuc,
            chinese=scu,
            state=S.UNDER_REVIEW,
            submitted_at=now - dt.timedelta(days=2),
        ),
        "draft": light_application(intake, family="Zhao", given="Lei", state=S.DRAFT, german=tuc, field=None),
        "withdrawn": light_application(intake, family="Sun", given="Mei", state=S.WITHDRAWN, german=tuc, chinese=scu),
        "old": light_application(old, family="Old", given="Round", german=tuc, chinese=tongji),
    }
    db.session.commit()
    return {
        "intake": intake.id,
        "old_round": old.id,
        **{key: application.id for key, application in apps.items()},
        "profiles": {"tuc": tuc.id, "luh": luh.id, "tongji": tongji.id, "scu": scu.id},
    }


def _page(client, query: str = "") -> str:
    response = client.get(f"/coordination/applications/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- The list ----------------------------------------------------------------------------------------------------


def test_list_shows_every_application_of_the_current_round_by_default(client, coordinator, scenario):
    page = _page(client)
    expected = {scenario[key] for key in ("wang", "mueller", "li", "chen", "draft", "withdrawn")}
    assert set(ids_in(page)) == expected
    assert "Intake 2027" in page and "6 applications" in page
    assert "王小明" in page and "XIAOMING WANG" not in page and "Xiaoming WANG" in page
    # Both supervisors with their universities, the letters and the decision are on the row.
    row = page.split(f'data-id="{scenario["wang"]}"')[1].split("</tr>")[0]
    assert "Clausthal University of Technology" in row and "Tongji University" in row
    assert "2 of 2" in row and "Admitted" in row


def test_round_chooser_shows_another_round_and_refuses_an_unknown_one(client, coordinator, scenario):
    page = _page(client, f"?round={scenario['old_round']}")
    assert ids_in(page) == [scenario["old"]]
    assert f'<option selected value="{scenario["old_round"]}">Intake 2025</option>' in page
    assert client.get("/coordination/applications/?round=999999").status_code == 404
    assert client.get("/coordination/applications/?round=abc").status_code == 404


def test_list_without_any_round_says_so(client, coordinator):
    page = _page(client)
    assert "There is no intake round yet." in page
    for url in ("/coordination/pairing/", "/coordination/office/", "/coordination/office/TUC/"):
        assert "There is no intake round yet." in client.get(url).get_data(as_text=True), url
    for url in ("/coordination/applications/export.csv", "/coordination/pairing/export.xlsx"):
        assert client.get(url).status_code == 404, url


def _filtered_ids(scenario, **args) -> set[int]:
    filters = ListFilter.from_args(args, scenario["intake"])
    return {row.id for row in listing.applications_page(filters).rows}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"state": "decided"}, {"wang", "mueller", "li"}),
        ({"state": "draft"}, {"draft"}),
        ({"university": "TUC"}, {"wang", "chen", "draft", "withdrawn"}),  # German side
        ({"university": "luh"}, {"mueller", "li"}),
        ({"university": "TONGJI"}, {"wang", "mueller"}),  # Chinese side
        ({"university": "SCU"}, {"li", "chen", "withdrawn"}),
        ({"field": "big_data"}, {"mueller"}),
        ({"field": "materials"}, {"chen"}),
        ({"nationality": "DE"}, {"mueller"}),
        ({"nationality": "sg"}, {"chen"}),
        ({"decision": "admit"}, {"wang"}),
        ({"decision": "waiting_list"}, {"mueller"}),
        ({"decision": "reject"}, {"li"}),
        ({"decision": "none"}, {"chen", "draft", "withdrawn"}),
        ({"q": "wang"}, {"wang"}),  # family name, any case
        ({"q": "XIAOMING"}, {"wang"}),  # given names
        ({"q": "王小"}, {"wang"}),  # native name
        ({"q": "Anna.Mueller@EXAMPLE"}, {"mueller"}),  # email
        ({"q": "jing chen"}, {"chen"}),  # every word somewhere
        ({"q": "jing wang"}, set()),
        ({"q": "%"}, set()),  # LIKE wildcards are searched for literally
        ({"q": "_"}, set()),
        ({"state": "decided", "university": "TONGJI", "field": "energy_hydrogen"}, {"wang"}),
        ({"state": "bogus", "field": "bogus", "decision": "bogus", "nationality": "XX"}, None),  # ignored
    ],
)
def test_filters_and_search(scenario, args, expected):
    everything = {scenario[key] for key in ("wang", "mueller", "li", "chen", "draft", "withdrawn")}
    wanted = everything if expected is None else {scenario[key] for key in expected}
    assert _filtered_ids(scenario, **args) == wanted


def test_search_by_reference_number_is_case_insensitive(scenario):
    reference = db.session.get(Application, scenario["li"]).reference
    assert _filtered_ids(scenario, q=reference.lower()) == {scenario["li"]}


def test_filters_through_the_page_and_the_form_keeps_them(client, coordinator, scenario):
    page = _page(client, "?university=TONGJI&decision=admit&q=xiao&state=decided")
    assert ids_in(page) == [scenario["wang"]]
    assert '<option selected value="TONGJI">' in page
    assert '<option selected value="admit">' in page and '<option selected value="decided">' in page
    assert 'value="xiao"' in page


def test_export_links_carry_the_current_filters(client, coordinator, scenario):
    page = html.unescape(_page(client, "?university=TUC&nationality=CN&q=wang&sort=name&direction=desc&page=1"))
    links = re.findall(r'class="btn btn-sm btn-outline-primary export-link" href="([^"]+)"', page)
    assert [link.split("?")[0] for link in links] == [
        "/coordination/applications/export.csv",
        "/coordination/applications/export.xlsx",
    ]
    for link in links:
        query = set(link.split("?")[1].split("&"))
        assert query == {
            f"round={scenario['intake']}",
            "university=TUC",
            "nationality=CN",
            "q=wang",
            "sort=name",
            "direction=desc",
        }


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["wang", "mueller", "li", "chen", "withdrawn", "draft"]),  # reference (by creation); drafts have none
        ("sort=name", ["chen", "li", "mueller", "withdrawn", "wang", "draft"]),
        ("sort=name&direction=desc", ["draft", "wang", "withdrawn", "mueller", "li", "chen"]),
        ("sort=submitted", ["mueller", "wang", "chen", "li", "withdrawn", "draft"]),
        ("sort=submitted&direction=desc", ["withdrawn", "li", "chen", "wang", "mueller", "draft"]),
        ("sort=state", ["draft", "chen", "wang", "mueller", "li", "withdrawn"]),
        ("sort=nationality", ["li", "withdrawn", "wang", "draft", "mueller", "chen"]),  # by code, then name
    ],
)
def test_sorting(client, coordinator, scenario, sort, expected):
    page = _page(client, f"?{sort}")
    assert ids_in(page) == [scenario[key] for key in expected]


def test_sort_links_keep_the_filters_and_toggle_the_direction(client, coordinator, scenario):
    page = html.unescape(_page(client, "?university=TUC&sort=name"))
    name_header = page.split('aria-sort="ascending"')[1].split("</th>")[0]
    assert "sort=name" in name_header and "direction=desc" in name_header and "university=TUC" in name_header
    reference_link = re.search(r'href="([^"]*sort=reference[^"]*)"', page).group(1)
    assert "university=TUC" in reference_link and "direction=desc" not in reference_link


def test_pagination(client, coordinator):
    intake = IntakeRoundFactory()
    german, chinese = supervisor("TUC"), supervisor("TONGJI")
    created = [light_application(intake, german=german, chinese=chinese) for _ in range(listing.PER_PAGE + 5)]
    db.session.commit()
    first = _page(client, "?university=TUC")
    assert ids_in(first) == [a.id for a in created[: listing.PER_PAGE]]
    assert "55 applications" in first and "showing 1–50" in first
    next_link = html.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    assert "page=2" in next_link and "university=TUC" in next_link
    second = _page(client, "?university=TUC&page=2")
    assert ids_in(second) == [a.id for a in created[listing.PER_PAGE :]]
    assert "showing 51–55" in second and 'rel="next"' not in second
    # A page past the last shows the last one; nonsense shows the first.
    assert ids_in(_page(client, "?university=TUC&page=99")) == ids_in(second)
    assert ids_in(_page(client, "?university=TUC&page=x")) == ids_in(first)


def _round_with(count: int) -> int:
    intake = IntakeRoundFactory()
    german, chinese = supervisor("TUC"), supervisor("TONGJI")
    for number in range(count):
        light_application(
            intake,
            german=german,
            chinese=chinese,
            letters=number % 3,
            decision=(DecisionOutcome.ADMIT if number % 2 else None),
        )
    db.session.commit()
    return intake.id


def test_the_list_costs_the_same_number_of_queries_for_few_and_many(client, coordinator, count_queries):
    few, many = _round_with(2), _round_with(listing.PER_PAGE + 3)
    client.get("/coordination/applications/")  # the first request also loads the signed-in user: warm up
    pages: dict[tuple[int, str], str] = {}

    def fetch(round_id: int, query: str) -> None:
        response = client.get(f"/coordination/applications/?round={round_id}{query}")
        assert response.status_code == 200
        pages[round_id, query] = response.get_data(as_text=True)

    for query in ("", "&sort=name&university=TONGJI", "&decision=none&q=wang&sort=state&direction=desc"):
        assert count_queries(lambda q=query: fetch(few, q)) == count_queries(lambda q=query: fetch(many, q))
        assert 0 < len(ids_in(pages[few, query])) <= 2 and len(ids_in(pages[many, query])) > 2


def test_the_rows_query_selects_the_fields_of_a_row_in_their_order():
    selected = [column.name for column in listing.rows_query("en").selected_columns]
    assert selected == [field.name for field in dataclasses.fields(listing.ListRow)]


def test_list_sort_enum_and_filter_round_trip():
    filters = ListFilter.from_args({"sort": "nationality", "direction": "desc", "q": "  a   b "}, 7)
    assert filters.sort == ListSort.NATIONALITY and filters.descending and filters.search == "a b"
    assert filters.query_args() == {"round": "7", "sort": "nationality", "direction": "desc", "q": "a b"}
    assert ListFilter.from_args(filters.query_args(), 7) == filters


# --- The doctoral offices' lists ---------------------------------------------------------------------------------


def test_office_list_has_only_that_universitys_german_side_applications(client, coordinator, scenario):
    page = client.get(f"/coordination/office/TUC/?round={scenario['intake']}").get_data(as_text=True)
    found = {int(i) for i in re.findall(r'class="office-application" data-id="(\d+)"', page)}
    # Not Li and Müller (German supervisor at LUH), not the draft or the withdrawn application, not the old round.
    assert found == {scenario["wang"], scenario["chen"]}
    assert "Admitted" in page and "not released" in page
    luh = client.get("/coordination/office/luh/").get_data(as_text=True)
    assert {int(i) for i in re.findall(r'class="office-application" data-id="(\d+)"', luh)} == {
        scenario["mueller"],
        scenario["li"],
    }
    admitted_only = client.get("/coordination/office/LUH/?decision=waiting_list").get_data(as_text=True)
    assert re.findall(r'class="office-application" data-id="(\d+)"', admitted_only) == [str(scenario["mueller"])]


def test_office_list_of_a_chinese_university_goes_by_the_chinese_supervisor(client, coordinator, scenario):
    page = client.get(f"/coordination/office/TONGJI/?round={scenario['intake']}").get_data(as_text=True)
    # Wang and Müller chose a supervisor at Tongji; Li and Chen one at Sichuan; the withdrawn one and the old round not.
    found = {int(i) for i in re.findall(r'class="office-application" data-id="(\d+)"', page)}
    assert found == {scenario["wang"], scenario["mueller"]}
    assert "whose Chinese supervisor works at this university" in page
    # The German side is named with its university (the office's own side needs none).
    row = page.split(f'data-id="{scenario["mueller"]}"')[1].split("</tr>")[0]
    assert "Leibniz University Hannover" in row and "Tongji University" not in row
    scu = client.get("/coordination/office/scu/?decision=none").get_data(as_text=True)
    assert re.findall(r'class="office-application" data-id="(\d+)"', scu) == [str(scenario["chen"])]
    # The exports default to the office's language, another one can be chosen.
    assert "in 中文 (the office’s language)" in page
    english = client.get(f"/coordination/office/TONGJI/?round={scenario['intake']}&language=en").get_data(as_text=True)
    assert "in English" in english and "language=en" in english


def test_office_list_of_an_unknown_university_is_404(client, coordinator, scenario):
    assert client.get("/coordination/office/NOPE/").status_code == 404
    assert client.get("/coordination/office/NOPE/export.csv").status_code == 404


def test_office_index_counts_per_university_of_both_countries(client, coordinator, scenario):
    page = client.get("/coordination/office/").get_data(as_text=True)
    rows = dict(re.findall(r'class="office-row" data-code="(\w+)">(.*?)</tr>', page, flags=re.S))
    assert list(rows) == ["TUC", "UGOE", "LUH", "TUBS", "UOS", "SCU", "ZZU", "BUAA", "TONGJI"]
    counts = {code: re.findall(r'class="text-end">(\d+)</td>', row) for code, row in rows.items()}
    assert counts["TUC"] == ["2", "1"] and counts["LUH"] == ["2", "0"] and counts["UOS"] == ["0", "0"]
    assert counts["TONGJI"] == ["2", "1"] and counts["SCU"] == ["2", "0"] and counts["BUAA"] == ["0", "0"]
    assert "中文" in rows["TONGJI"] and "Deutsch" in rows["TUC"]


# --- The supervisor pairing list ---------------------------------------------------------------------------------


def test_pairing_groups_candidates_per_supervisor_with_co_supervisor_and_statements(scenario):
    p = scenario["profiles"]
    wang = db.session.get(Application, scenario["wang"])
    db.session.add_all(
        [
            SupervisorStatement(application_id=wang.id, profile_id=p["tuc"], answer=StatementAnswer.WILLING),
            SupervisorStatement(
                application_id=wang.id, profile_id=p["tongji"], answer=StatementAnswer.CONDITIONAL, conditions="Funding"
            ),
        ]
    )
    db.session.flush()
    groups = pairings.pairing_groups(pairings.PairingFilter(scenario["intake"]))
    by_profile = {group.rows[0].profile_id: group for group in groups}
    # German side first; the draft, the withdrawn application and the old round are left out.
    assert [g.side.value for g in groups] == ["DE", "DE", "CN", "CN"]
    assert {r.application_id for r in by_profile[p["tuc"]].rows} == {scenario["wang"], scenario["chen"]}
    assert {r.application_id for r in by_profile[p["tongji"]].rows} == {scenario["wang"], scenario["mueller"]}
    assert {r.application_id for r in by_profile[p["scu"]].rows} == {scenario["li"], scenario["chen"]}
    pair = next(r for r in by_profile[p["tuc"]].rows if r.application_id == wang.id)
    assert pair.answer == StatementAnswer.WILLING and pair.co_answer == StatementAnswer.CONDITIONAL
    assert pair.co_university == "Tongji University" and pair.university == "Clausthal University of Technology"
    assert pair.candidate == "Xiaoming WANG" and pair.reference == wang.reference
    other = next(r for r in by_profile[p["tongji"]].rows if r.application_id == wang.id)
    assert other.answer == StatementAnswer.CONDITIONAL and other.co_answer == StatementAnswer.WILLING
    # Only the supervisors of one university.
    only = pairings.pairing_groups(pairings.PairingFilter(scenario["intake"], "SCU"))
    assert [g.rows[0].profile_id for g in only] == [p["scu"]]


def test_pairing_page(client, coordinator, scenario):
    wang = db.session.get(Application, scenario["wang"])
    db.session.add(
        SupervisorStatement(
            application_id=wang.id, profile_id=scenario["profiles"]["tuc"], answer=StatementAnswer.UNWILLING
        )
    )
    db.session.commit()
    page = client.get("/coordination/pairing/").get_data(as_text=True)
    assert page.count('class="mb-4 pairing-group"') == 4 and page.count('class="pairing-row"') == 8
    assert "Not willing to supervise" in page and "no statement yet" in page
    assert wang.reference in page and "Xiaoming WANG" in page
    assert client.get("/coordination/pairing/?round=424242").status_code == 404


def test_pairing_costs_one_query_whatever_the_number(client, coordinator, count_queries):
    few, many = _round_with(2), _round_with(12)
    client.get("/coordination/pairing/")

    def fetch(round_id: int) -> None:
        assert client.get(f"/coordination/pairing/?round={round_id}").status_code == 200

    assert count_queries(lambda: fetch(few)) == count_queries(lambda: fetch(many))


# --- Who may see the lists ---------------------------------------------------------------------------------------

PAGES = (
    "/coordination/applications/",
    "/coordination/applications/export.csv",
    "/coordination/applications/export.xlsx",
    "/coordination/pairing/",
    "/coordination/pairing/export.csv",
    "/coordination/pairing/export.xlsx",
    "/coordination/office/",
    "/coordination/office/TUC/",
    "/coordination/office/TUC/export.csv",
    "/coordination/office/TUC/export.xlsx",
)


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_other_roles_may_not_see_the_lists(client, login_as, scenario, role):
    login_as(role)
    for url in PAGES:
        assert client.get(f"{url}?round={scenario['intake']}").status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(client, scenario):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url


def test_search_folds_non_ascii_letters_on_every_database(client, login_as):
    from tests.factories import IntakeRoundFactory, submitted_application

    intake = IntakeRoundFactory()
    application = submitted_application(intake_round=intake)
    application.family_name = "MÜLLER"
    db.session.commit()
    login_as(Role.COORDINATOR)
    page = client.get(f"/coordination/applications/?round={intake.id}&q=müller").get_data(as_text=True)
    assert application.reference in page
