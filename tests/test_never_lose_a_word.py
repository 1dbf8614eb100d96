"""Typed text is never lost: the "add a degree" box, the deadline, an ended session, a stale form, saving in the
background."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select, text

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, Education
from portal.core.kept_posts import KeptPost, forget_old_kept_posts
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.conftest import sign_in_through_form
from tests.factories import PASSWORD, ApplicationFactory

pytestmark = pytest.mark.usefixtures("plain_app_context")

AUTOSAVE = {"X-Autosave": "1", "Accept": "application/json"}
DEGREE = {
    "degree-level": "master",
    "degree-degree": "MSc",
    "degree-subject": "Hydrology",
    "degree-institution": "Tongji University",
    "degree-country": "CN",
    "degree-year": "2024",
    "degree-grade": "1.3",
    "degree-grading_scale": "1.0 to 4.0",
}


@pytest.fixture
def draft(app, login_as):
    user = login_as(Role.APPLICANT)
    application = ApplicationFactory(applicant=db.session.get(User, user.id))
    db.session.commit()
    return application


def url(application: Application, step: str) -> str:
    return f"/application/{application.id}/{step}"


def degrees(application_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Education.application_id == application_id))


def test_save_and_continue_adds_a_filled_degree_box(client, draft):
    data = {"version": draft.version, "degree-version": draft.version, "save_continue": "y", **DEGREE}
    response = client.post(url(draft, "education"), data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/languages")
    assert degrees(draft.id) == 1


def test_save_and_continue_with_an_unfinished_degree_box_names_it_and_keeps_it(client, draft):
    data = {"version": draft.version, "degree-version": draft.version, "save_continue": "y", "degree-subject": "Hydro"}
    response = client.post(url(draft, "education"), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "has not been added yet" in page and 'value="Hydro"' in page
    assert degrees(draft.id) == 0


def test_the_add_button_and_save_share_one_form_without_duplicate_ids(client, draft):
    page = client.get(url(draft, "education")).get_data(as_text=True)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert f'formaction="/application/{draft.id}/education/add"' in page


def close_round(application_id: int) -> None:
    intake = db.session.get(Application, application_id).intake_round
    intake.opens_at, intake.closes_at = utcnow() - dt.timedelta(days=5), utcnow() - dt.timedelta(minutes=1)
    db.session.commit()


def test_after_the_deadline_a_step_shows_the_text_read_only_without_save_buttons(client, draft):
    application = db.session.get(Application, draft.id)
    application.proposal_title = "Groundwater in the Sichuan basin"
    db.session.commit()
    close_round(draft.id)
    page = client.get(url(draft, "proposal")).get_data(as_text=True)
    assert "deadline has passed" in page
    assert re.search(
        r'<input[^>]*readonly[^>]*value="Groundwater in the Sichuan basin"|'
        r'<input[^>]*value="Groundwater in the Sichuan basin"[^>]*readonly',
        page,
    )
    assert 'name="save"' not in page and 'name="save_continue"' not in page


def test_a_save_sent_after_the_deadline_keeps_the_typed_text_on_the_page_and_saves_nothing(client, draft):
    version = draft.version
    close_round(draft.id)
    response = client.post(url(draft, "proposal"), data={"version": version, "proposal_title": "Late", "save": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "deadline has passed" in page and 'value="Late"' in page
    assert db.session.get(Application, draft.id).proposal_title == ""
    submit = client.get(url(draft, "submit")).get_data(as_text=True)
    assert 'name="submit"' not in submit
    overview = client.get(f"/application/{draft.id}").get_data(as_text=True)
    assert "deadline has passed" in overview
    assert f'class="btn btn-primary" href="/application/{draft.id}/submit"' not in overview


def end_sessions(user_id: int) -> None:
    db.session.execute(
        text("UPDATE user_sessions SET ended_at = created_at WHERE user_id = :id AND ended_at IS NULL"), {"id": user_id}
    )
    db.session.commit()


def test_a_save_after_the_session_ended_comes_back_after_signing_in_again(client, draft):
    owner = db.session.get(Application, draft.id).applicant
    end_sessions(owner.id)
    sent = {"version": draft.version, "proposal_title": "Typed while signed out", "abstract": "不要丢失。", "save": "y"}
    response = client.post(url(draft, "proposal"), data=sent)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert db.session.get(Application, draft.id).proposal_title == ""
    signed_in = client.post(response.headers["Location"], data={"email": owner.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith(url(draft, "proposal"))
    page = client.get(url(draft, "proposal")).get_data(as_text=True)
    assert 'value="Typed while signed out"' in page and "不要丢失。" in page
    # Given back once: the kept row is gone, a reload shows the saved state.
    assert db.session.scalar(select(func.count()).select_from(KeptPost)) == 0
    assert "Typed while signed out" not in client.get(url(draft, "proposal")).get_data(as_text=True)


def test_a_stale_csrf_token_keeps_the_post_and_shows_it_again(client, draft, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    sent = {"csrf_token": "stale", "version": draft.version, "proposal_title": "Kept despite the token", "save": "y"}
    response = client.post(url(draft, "proposal"), data=sent)
    assert response.status_code == 302 and response.headers["Location"].endswith(url(draft, "proposal"))
    page = client.get(url(draft, "proposal")).get_data(as_text=True)
    assert 'value="Kept despite the token"' in page and "The form had expired" in page
    assert "Bad request" not in page


def test_a_kept_post_is_given_back_only_to_the_browser_that_sent_it(client, draft, app):
    owner = db.session.get(Application, draft.id).applicant
    end_sessions(owner.id)
    client.post(url(draft, "proposal"), data={"version": draft.version, "proposal_title": "Mine", "save": "y"})
    other = app.test_client()
    sign_in_through_form(other, owner.email, PASSWORD)
    assert "Mine" not in other.get(url(draft, "proposal")).get_data(as_text=True)


def test_old_kept_posts_are_forgotten_by_the_daily_job(client, draft):
    db.session.add(KeptPost(token_hash="x" * 64, path="/", fields="[]", created_at=utcnow() - dt.timedelta(days=2)))
    db.session.commit()
    assert forget_old_kept_posts(utcnow()) == 1


def test_a_background_save_answers_with_the_new_version_and_a_fresh_token(client, draft):
    sent = {"version": draft.version, "proposal_title": "Autosaved"}
    response = client.post(url(draft, "proposal"), data=sent, headers=AUTOSAVE)
    body = json.loads(response.data)
    assert response.status_code == 200 and body["saved"] is True and body["csrf"]
    saved = db.session.get(Application, draft.id)
    assert saved.proposal_title == "Autosaved" and body["version"] == saved.version


def test_a_background_save_from_a_stale_page_is_refused_and_says_so(client, draft):
    loaded = draft.version
    client.post(url(draft, "proposal"), data={"version": loaded, "proposal_title": "Other tab", "save": "y"})
    response = client.post(url(draft, "proposal"), data={"version": loaded, "proposal_title": "Old"}, headers=AUTOSAVE)
    body = json.loads(response.data)
    assert response.status_code == 409 and body["stale"] is True and "another tab" in " ".join(body["errors"])
    assert db.session.get(Application, draft.id).proposal_title == "Other tab"


def test_a_background_save_after_the_deadline_is_refused_with_the_reason(client, draft):
    close_round(draft.id)
    response = client.post(
        url(draft, "proposal"), data={"version": draft.version, "proposal_title": "x"}, headers=AUTOSAVE
    )
    body = json.loads(response.data)
    assert response.status_code == 409 and body["closed"] is True and "deadline" in body["errors"][0]


def test_a_background_save_after_the_session_ended_is_kept_and_says_so(client, draft):
    owner_id = db.session.get(Application, draft.id).applicant_id
    end_sessions(owner_id)
    response = client.post(
        url(draft, "proposal"), data={"version": draft.version, "proposal_title": "x"}, headers=AUTOSAVE
    )
    assert response.status_code == 202 and json.loads(response.data)["signed_out"] is True
    assert db.session.scalar(select(func.count()).select_from(KeptPost)) == 1


def test_without_javascript_every_step_keeps_its_save_button(client, draft):
    for step in ("personal", "languages", "proposal", "supervisors"):
        page = client.get(url(draft, step)).get_data(as_text=True)
        assert 'name="save"' in page and "data-autosave" in page, step


def test_a_post_from_another_site_is_not_kept(client, draft):
    owner_id = db.session.get(Application, draft.id).applicant_id
    end_sessions(owner_id)
    sent = {"version": draft.version, "proposal_title": "Planted", "save": "y"}
    client.post(
        url(draft, "proposal"), data=sent, headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    )
    assert db.session.scalar(select(func.count()).select_from(KeptPost)) == 0
