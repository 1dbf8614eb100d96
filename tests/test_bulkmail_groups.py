"""Mail to any group: applicants chosen by a filter of the applications list (carried from the list's link), the
round's referees, chosen supervisors and reviewers; an own text per language with the main text as fallback; the
exact number of recipients and one preview per language; {reference} only where each message is about one
application; delivered to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from portal import db
from portal.applications.models import ApplicationState
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.notifications.recipients import RecipientGroup, recipients_of
from portal.reporting.lists import ListFilter
from tests.factories import IntakeRoundFactory, UserFactory, add_review, judged, supervisor
from tests.test_remind import invited

S = ApplicationState
DAY = dt.timedelta(days=1)
pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def round_people():
    intake = IntakeRoundFactory(name="Intake 2028")
    anna = supervisor("TUC", user=UserFactory(roles=[Role.SUPERVISOR], name="Anna Weber", language="de"))
    li = supervisor("TONGJI", user=UserFactory(roles=[Role.SUPERVISOR], name="Li Wei", language="zh"))
    wang = judged(intake, state=S.UNDER_REVIEW, family="Wang", german=anna, chinese=li)
    wang.applicant.language = "zh"
    mueller = judged(intake, state=S.SUBMITTED, family="Müller", german=anna, chinese=li)
    mueller.applicant.language = "de"
    judged(intake, state=S.DRAFT, family="Draft")
    judged(intake, state=S.WITHDRAWN, family="Gone")
    invited(wang, 1, expires_in=5 * DAY, language="en")
    invited(mueller, 1, expires_in=5 * DAY, language="de")
    reviewer = UserFactory(roles=[Role.COMMITTEE], name="Karl Kommission", language="en")
    add_review(wang, reviewer=reviewer)
    add_review(mueller, reviewer=reviewer)
    db.session.commit()
    return {"intake": intake, "wang": wang, "mueller": mueller, "anna": anna, "li": li, "reviewer": reviewer}


def test_each_group_is_the_right_people_once(round_people):
    intake = round_people["intake"]
    referees = recipients_of(intake, RecipientGroup.REFEREES)
    assert sorted(r.application.id for r in referees) == sorted([round_people["wang"].id, round_people["mueller"].id])
    supervisors = recipients_of(intake, RecipientGroup.SUPERVISORS)
    assert [r.name for r in supervisors] == ["Anna Weber", "Li Wei"]  # once each, for two applications
    assert all(r.application is None for r in supervisors)
    assert [r.name for r in recipients_of(intake, RecipientGroup.REVIEWERS)] == ["Karl Kommission"]
    chosen = recipients_of(intake, RecipientGroup.LIST_FILTER, ListFilter(intake.id, state="under_review"))
    assert [r.application.id for r in chosen] == [round_people["wang"].id]
    searched = recipients_of(intake, RecipientGroup.LIST_FILTER, ListFilter(intake.id, search="müller"))
    assert [r.application.id for r in searched] == [round_people["mueller"].id]


def mail(client, data, send=False):
    response = client.post("/coordination/mail", data={**data, "preview": "y"})
    page = response.get_data(as_text=True)
    if not send:
        return page
    hidden = {
        name: html.unescape(re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1))
        for name in ("fingerprint", "nonce")
    }
    return client.post("/coordination/mail", data={**data, **hidden, "send": "y"})


def test_the_lists_filter_travels_to_the_mail_page_and_chooses_the_applicants(client, login_as, round_people):
    login_as(Role.COORDINATOR)
    intake_id = round_people["intake"].id
    listing = client.get(f"/coordination/applications/?round={intake_id}&state=under_review").get_data(as_text=True)
    link = html.unescape(re.search(r'id="mail-filtered" href="([^"]+)"', listing).group(1))
    page = client.get(link).get_data(as_text=True)
    assert '<option selected value="list_filter">' in page and "<code>state=under_review</code>" in page
    list_filter = html.unescape(re.search(r'name="list_filter" type="hidden" value="([^"]*)"', page).group(1))
    data = {
        "round_id": intake_id,
        "recipients": "list_filter",
        "list_filter": list_filter,
        "subject": "Hi {name}",
        "body": "Your application {reference}.",
    }
    page = mail(client, data)
    assert "1 applicant will receive this message." in page and round_people["wang"].reference in page
    assert mail(client, data, send=True).status_code == 302
    [email] = db.session.scalars(select(OutboxEmail)).all()
    assert email.recipient == round_people["wang"].applicant.email and email.application_id == round_people["wang"].id


def test_an_own_text_per_language_with_the_main_text_as_fallback(app, client, login_as, round_people, smtp_server):
    login_as(Role.COORDINATOR)
    data = {
        "round_id": round_people["intake"].id,
        "recipients": "supervisors",
        "subject": "Committee meeting",
        "body": "Dear {name}, the committee meets on 3 May.",
        "subject_de": "Sitzung der Auswahlkommission",
        "body_de": "Liebe(r) {name}, die Kommission tagt am 3. Mai.",
    }
    page = mail(client, data)
    assert "2 people will receive this message." in page
    assert "By language: Deutsch: 1 · 中文: 1." in " ".join(page.split())
    assert "Liebe(r) Anna Weber, die Kommission tagt am 3. Mai." in page
    assert "Dear Li Wei, the committee meets on 3 May." in page  # no Chinese text: the main one
    assert "Send to 2 people now" in page
    assert mail(client, data, send=True).status_code == 302
    anna_email = round_people["anna"].user.email
    db.session.commit()
    smtp_server.deliver_outbox(app)
    by_to = {m["To"]: m for m in smtp_server.messages}
    assert by_to[anna_email]["Subject"] == "Sitzung der Auswahlkommission"
    assert len(by_to) == 2 and {m["Subject"] for m in by_to.values()} == {
        "Sitzung der Auswahlkommission",
        "Committee meeting",
    }


def test_referees_may_be_told_the_reference_but_reviewers_may_not(client, login_as, round_people):
    login_as(Role.COORDINATOR)
    base = {"round_id": round_people["intake"].id, "subject": "About {reference}", "body": "Dear {name}"}
    page = mail(client, {**base, "recipients": "referees"})
    assert "2 people will receive this message." in page
    assert f"About {round_people['wang'].reference}" in page
    refused = mail(client, {**base, "recipients": "reviewers"})
    assert "not about one application each: leave out {reference}" in refused
    prepared = mail(client, {**base, "recipients": "reviewers", "template": "admitted"})
    assert "Prepared messages are written for applicants" in prepared
    unsafe = mail(
        client, {**base, "recipients": "reviewers", "subject": "x", "body_de": "{name.__class__}", "subject_de": "y"}
    )
    assert "Unknown placeholder: {name.__class__}." in unsafe
    assert db.session.scalars(select(OutboxEmail)).all() == []
