"""The applicant's pages: steps keep typed data, two tabs, replayed forms after the deadline, who may see what."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.conftest import sign_in
from tests.factories import ApplicationFactory, complete_application, supervisor

# Factories store files under PORTAL_DATA_DIR, which needs the app's configuration.
pytestmark = pytest.mark.usefixtures("plain_app_context")


def step_url(application_id: int, step: str) -> str:
    return f"/application/{application_id}/{step}"


@pytest.fixture
def draft(app, login_as):
    """A draft of the signed-in applicant in an open round."""
    user = login_as(Role.APPLICANT)
    application = ApplicationFactory(applicant=db.session.get(User, user.id))
    db.session.commit()
    return application


def test_start_creates_a_draft_and_leads_to_step_one(client, login_as, open_round):
    login_as(Role.APPLICANT)
    page = client.get("/application/")
    assert "Application deadline" in page.get_data(as_text=True)
    response = client.post("/application/start")
    assert response.status_code == 302 and response.headers["Location"].endswith("/personal")
    assert db.session.scalar(select(func.count(Application.id))) == 1
    # A second start leads to the same draft.
    client.post("/application/start")
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_deadline_is_shown_in_berlin_shanghai_and_the_users_zone(client, login_as, open_round):
    login_as(Role.APPLICANT, timezone="America/Sao_Paulo")
    page = client.get("/application/").get_data(as_text=True)
    for zone, city in (("Europe/Berlin", "Berlin"), ("Asia/Shanghai", "Shanghai"), ("America/Sao_Paulo", "São Paulo")):
        local = open_round.closes_at.astimezone(ZoneInfo(zone))
        assert f"{local:%d %b %Y, %H:%M} ({city})".lstrip("0") in page, zone


def test_save_and_continue_goes_to_the_next_step(client, draft):
    response = client.post(
        step_url(draft.id, "proposal"),
        data={
            "version": draft.version,
            "proposal_title": "Hydrogen storage",
            "research_field": "energy_hydrogen",
            "abstract": "Short abstract.",
            "keywords": "hydrogen",
            "save_continue": "y",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/supervisors")
    saved = db.session.get(Application, draft.id)
    assert saved.proposal_title == "Hydrogen storage" and saved.research_field.value == "energy_hydrogen"


def test_validation_error_keeps_every_typed_value(client, draft):
    response = client.post(
        step_url(draft.id, "personal"),
        data={
            "version": draft.version,
            "family_name": "Wang",
            "given_names": "Xiaoming",
            "native_name": "王小明",
            "phone": "call me maybe",
            "address": "Chengdu",
            "save": "y",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please enter a phone number" in page
    for typed in ('value="Wang"', 'value="Xiaoming"', 'value="王小明"', 'value="call me maybe"', "Chengdu</textarea>"):
        assert typed in page
    assert db.session.get(Application, draft.id).family_name == ""


def test_abstract_word_limit_is_checked_on_the_server(client, draft):
    response = client.post(
        step_url(draft.id, "proposal"), data={"version": draft.version, "abstract": "word " * 501, "save": "y"}
    )
    assert "at most 500 words (now 501)" in response.get_data(as_text=True)
    assert db.session.get(Application, draft.id).abstract == ""


def test_two_tabs_do_not_silently_overwrite_each_other(client, draft):
    loaded_version = draft.version  # both tabs opened the step at this version
    first = client.post(
        step_url(draft.id, "proposal"), data={"version": loaded_version, "proposal_title": "Tab one", "save": "y"}
    )
    assert first.status_code == 302
    second = client.post(
        step_url(draft.id, "proposal"), data={"version": loaded_version, "proposal_title": "Tab two", "save": "y"}
    )
    page = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "changed in another tab or window" in page
    assert 'value="Tab two"' in page  # the typed text is still in the form
    assert db.session.get(Application, draft.id).proposal_title == "Tab one"
    # Saving again from the refreshed form works.
    current = db.session.get(Application, draft.id).version
    third = client.post(
        step_url(draft.id, "proposal"), data={"version": current, "proposal_title": "Tab two", "save": "y"}
    )
    assert third.status_code == 302
    assert db.session.get(Application, draft.id).proposal_title == "Tab two"


def test_a_save_without_the_version_field_counts_as_outdated(client, draft):
    # Every page sends the hidden version; a crafted request without it must not skip the two-tabs check.
    before = db.session.get(Application, draft.id).version
    response = client.post(step_url(draft.id, "proposal"), data={"proposal_title": "Unversioned", "save": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed in another tab or window" in page
    assert 'value="Unversioned"' in page  # the typed text is still in the form
    saved = db.session.get(Application, draft.id)
    assert saved.proposal_title == "" and saved.version == before


def test_replaying_a_form_after_the_deadline_changes_nothing(client, draft):
    version = draft.version
    intake = db.session.get(Application, draft.id).intake_round
    intake.closes_at = utcnow() - dt.timedelta(minutes=1)
    intake.opens_at = utcnow() - dt.timedelta(days=5)
    db.session.commit()
    response = client.post(
        step_url(draft.id, "proposal"),
        data={"version": version, "proposal_title": "Late", "save": "y"},
        follow_redirects=True,
    )
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert db.session.get(Application, draft.id).proposal_title == ""


def test_education_entries_are_added_and_removed(client, draft):
    data = {
        "degree-version": draft.version,
        "degree-level": "master",
        "degree-degree": "MSc",
        "degree-subject": "CS",
        "degree-institution": "Beihang University",
        "degree-country": "CN",
        "degree-year": "2024",
        "degree-grade": "90",
        "degree-grading_scale": "100 best",
    }
    assert client.post(step_url(draft.id, "education/add"), data=data).status_code == 302
    saved = db.session.get(Application, draft.id)
    (entry,) = saved.education
    bad = client.post(
        step_url(draft.id, "education/add"),
        data={**data, "degree-version": saved.version, "degree-country": "XX", "degree-year": "1800"},
    )
    assert bad.status_code == 200 and 'value="Beihang University"' in bad.get_data(as_text=True)
    removed = client.post(step_url(draft.id, f"education/{entry.id}/remove"), data={"version": saved.version})
    assert removed.status_code == 302
    assert db.session.get(Application, draft.id).education == []


def test_supervisor_step_offers_only_available_supervisors_by_side(client, draft):
    german, chinese = supervisor("TUC"), supervisor("TONGJI")
    unavailable = supervisor("LUH", accepting_candidates=False)
    db.session.commit()
    page = client.get(step_url(draft.id, "supervisors")).get_data(as_text=True)
    german_select = page.split('id="german_supervisor"')[1].split("</select>")[0]
    chinese_select = page.split('id="chinese_supervisor"')[1].split("</select>")[0]
    assert f'value="{german.id}"' in german_select and f'value="{chinese.id}"' not in german_select
    assert f'value="{chinese.id}"' in chinese_select and f'value="{unavailable.id}"' not in german_select
    response = client.post(
        step_url(draft.id, "supervisors"),
        data={
            "version": draft.version,
            "german_supervisor": german.id,
            "chinese_supervisor": chinese.id,
            "supervisor_motivation": "Joint hydrogen research.",
            "save": "y",
        },
    )
    assert response.status_code == 302
    saved = db.session.get(Application, draft.id)
    assert (saved.german_supervisor_id, saved.chinese_supervisor_id) == (german.id, chinese.id)


def test_supervisor_step_refuses_a_forged_choice(client, draft):
    chinese, closed = supervisor("SCU"), supervisor("UOS", accepting_candidates=False)
    db.session.commit()
    response = client.post(
        step_url(draft.id, "supervisors"),
        data={"version": draft.version, "german_supervisor": closed.id, "chinese_supervisor": chinese.id, "save": "y"},
    )
    assert "cannot take further candidates" in response.get_data(as_text=True)
    assert db.session.get(Application, draft.id).german_supervisor_id is None


def test_submit_page_lists_what_is_missing(client, draft):
    page = client.get(step_url(draft.id, "submit")).get_data(as_text=True)
    assert "Before you can submit" in page and "a German supervisor" in page


def test_submit_and_withdraw_through_the_pages(client, login_as, open_round):
    user = login_as(Role.APPLICANT)
    application = complete_application(applicant=db.session.get(User, user.id), intake_round=open_round)
    db.session.commit()
    missing_declaration = client.post(
        step_url(application.id, "submit"), data={"version": application.version}, follow_redirects=True
    )
    assert "confirm the declaration" in missing_declaration.get_data(as_text=True)
    response = client.post(
        step_url(application.id, "submit"),
        data={"version": application.version, "declaration": "y"},
        follow_redirects=True,
    )
    saved = db.session.get(Application, application.id)
    assert saved.state == ApplicationState.SUBMITTED
    assert saved.reference in response.get_data(as_text=True)

    confirm_page = client.get(step_url(application.id, "withdraw"))
    assert confirm_page.status_code == 200
    assert db.session.get(Application, application.id).state == ApplicationState.SUBMITTED
    unconfirmed = client.post(step_url(application.id, "withdraw"), data={"version": saved.version})
    assert "tick the box" in unconfirmed.get_data(as_text=True)
    client.post(step_url(application.id, "withdraw"), data={"version": saved.version, "confirm": "y"})
    assert db.session.get(Application, application.id).state == ApplicationState.WITHDRAWN


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_others_cannot_open_an_application(client, login_as, role):
    owner_application = complete_application()
    db.session.commit()
    login_as(role)
    assert client.get(f"/application/{owner_application.id}").status_code == 404
    response = client.post(step_url(owner_application.id, "proposal"), data={"proposal_title": "Hijacked"})
    assert response.status_code in {403, 404}
    assert db.session.get(Application, owner_application.id).proposal_title != "Hijacked"


def test_coordinator_reads_but_cannot_edit(client, login_as):
    application = complete_application()
    db.session.commit()
    login_as(Role.COORDINATOR)
    assert client.get(f"/application/{application.id}").status_code == 200
    assert client.post(step_url(application.id, "proposal"), data={"proposal_title": "x"}).status_code == 403


def test_chosen_supervisor_sees_the_application_only_after_submission(app, client):
    application = complete_application()
    db.session.commit()
    supervisor_user = application.german_supervisor.user
    sign_in(client, supervisor_user)
    assert client.get(f"/application/{application.id}").status_code == 404
    application.state, application.reference = ApplicationState.SUBMITTED, "IPK-2027-9999"
    db.session.commit()
    page = client.get(f"/application/{application.id}")
    assert page.status_code == 200 and "IPK-2027-9999" in page.get_data(as_text=True)


def test_supervisor_directory_is_public_and_filters(client):
    german, chinese = supervisor("TUC", research_areas="Hydrogen embrittlement"), supervisor("BUAA")
    db.session.commit()
    page = client.get("/supervisors/?university=BUAA", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert chinese.user.name in page and german.user.name not in page and "北京航空航天大学" in page
    found = client.get("/supervisors/?q=embrittlement").get_data(as_text=True)
    assert german.user.name in found and chinese.user.name not in found


@pytest.mark.committing
def test_simultaneous_submissions_from_two_tabs_give_one_submission(app):
    with app.app_context():
        application = complete_application()
        db.session.commit()
        application_id, version, user = application.id, application.version, application.applicant
    tabs = [sign_in(app.test_client(), user) for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def submit(tab):
        barrier.wait()
        response = tab.post(step_url(application_id, "submit"), data={"version": version, "declaration": "y"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [302, 302]
    with app.app_context():
        saved = db.session.get(Application, application_id)
        assert saved.state == ApplicationState.SUBMITTED and saved.reference.endswith("-0001")
        confirmations = db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.template == "application_submitted")
        )
        assert confirmations == 1
        db.session.remove()


def test_directory_costs_the_same_queries_for_few_and_many_supervisors(client, count_queries):
    for code in ("TUC", "TONGJI", "SCU"):
        supervisor(code)
    db.session.commit()
    few = count_queries(lambda: client.get("/supervisors/"))
    for code in ("UGOE", "LUH", "TUBS", "UOS", "ZZU", "BUAA") * 4:
        supervisor(code)
    db.session.commit()
    many = count_queries(lambda: client.get("/supervisors/"))
    assert 0 < few == many


def test_searching_the_directory_keeps_what_was_typed_and_saves_nothing(client, draft):
    german, chinese = supervisor("TUC", research_areas="Hydrogen embrittlement"), supervisor("TONGJI")
    db.session.commit()
    response = client.post(
        step_url(draft.id, "supervisors"),
        data={
            "version": draft.version,
            "q": "embrittlement",
            "german_supervisor": german.id,
            "chinese_supervisor": chinese.id,
            "supervisor_motivation": "Typed but not saved",
            "search": "y",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Typed but not saved</textarea>" in page
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert german.user.name in table and chinese.user.name not in table  # the search narrows the table...
    chinese_select = page.split('id="chinese_supervisor"')[1].split("</select>")[0]
    assert f'<option selected value="{chinese.id}">' in chinese_select  # ...never the choices
    saved = db.session.get(Application, draft.id)
    assert saved.supervisor_motivation == "" and saved.chinese_supervisor_id is None
