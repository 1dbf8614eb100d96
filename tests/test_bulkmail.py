"""Mail to a group of applicants: the groups select the right applicants, the preview shows the count and the first
messages and sends nothing, sending writes one outbox row per recipient with the placeholders filled in the
recipient's zone and language, prepared messages in the recipient's language, unknown placeholders are refused next to
their field, nothing is sent twice or unpreviewed, the audit event, and who may not use it."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime, get_timezone_location
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.i18n import DATE_TIME_PATTERNS
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.notifications import bulkmail
from portal.notifications.bulkmail import Composition
from portal.notifications.recipients import RecipientGroup
from tests.factories import ApplicationFactory, IntakeRoundFactory, UserFactory, complete_application

S = ApplicationState
CLOSES = dt.datetime(2027, 3, 31, 21, 59, tzinfo=dt.UTC)  # 23:59 in Berlin (summer time), 05:59 next day in Shanghai


# Factories store files under PORTAL_DATA_DIR, which needs the app's configuration.
pytestmark = pytest.mark.usefixtures("plain_app_context")


def applicant(
    intake, name, *, state, language="en", zone="Europe/Berlin", letters=0, outcome=None, released=False, active=True
):
    user = UserFactory(
        name=name, email=f"{name.split()[0].lower()}@example.org", language=language, timezone=zone, active=active
    )
    application = complete_application(ApplicationFactory(intake_round=intake, applicant=user))
    application.state = state
    if state != S.DRAFT:
        application.reference = f"IPK-2027-{application.id:04d}"
        application.submitted_at = CLOSES - dt.timedelta(days=3)
    for referee in application.referees[:letters]:
        referee.letter_received_at, referee.letter_text = utcnow(), "Excellent."
    if outcome is not None:
        db.session.add(Decision(application=application, outcome=outcome, released_at=utcnow() if released else None))
    db.session.flush()
    return application


@pytest.fixture
def intake():
    """A round and its applicants (one of each kind), plus an applicant of another round."""
    intake = IntakeRoundFactory(name="Intake 2027", opens_at=CLOSES - dt.timedelta(days=60), closes_at=CLOSES)
    applicant(intake, "Anna Schmidt", state=S.SUBMITTED)  # no letter
    applicant(intake, "Bao Li", state=S.UNDER_REVIEW, language="zh", zone="Asia/Shanghai", letters=1)
    applicant(intake, "Carl Weber", state=S.SUBMITTED, language="de", zone="America/New_York", letters=2)
    applicant(intake, "Dora Evans", state=S.DECIDED, letters=2, outcome=DecisionOutcome.WAITING_LIST, released=True)
    applicant(intake, "Emil Braun", state=S.DECIDED, language="de", letters=2, outcome=DecisionOutcome.WAITING_LIST)
    applicant(
        intake,
        "Fang Zhou",
        state=S.DECIDED,
        language="zh",
        zone="Asia/Shanghai",
        letters=2,
        outcome=DecisionOutcome.ADMIT,
        released=True,
    )
    applicant(intake, "Gus Miller", state=S.DRAFT)
    applicant(intake, "Hans Vogel", state=S.WITHDRAWN, language="de")  # no letter, but withdrawn
    applicant(intake, "Ivy Chen", state=S.DECIDED, outcome=DecisionOutcome.REJECT)  # no letter, but decided
    applicant(intake, "Kai Inactive", state=S.SUBMITTED, active=False)  # no letter, but the account is closed
    other = IntakeRoundFactory(
        name="Intake 2026", opens_at=CLOSES - dt.timedelta(days=400), closes_at=CLOSES - dt.timedelta(days=340)
    )
    applicant(other, "Olga Other", state=S.SUBMITTED)  # no letter, but another round
    db.session.commit()
    return intake


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


def names(applications) -> list[str]:
    return [a.applicant.name for a in applications]


def reference_of(name: str) -> str:
    query = select(Application.reference).join(User, User.id == Application.applicant_id).where(User.name == name)
    return db.session.scalars(query).one()


def outbox_rows() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.recipient)))


def audit_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bulkmail.sent")))


def deadline_in(zone: str, language: str) -> str:
    local = CLOSES.astimezone(ZoneInfo(zone))
    city = get_timezone_location(zone, locale=language, return_city=True)
    return f"{format_datetime(local.replace(tzinfo=None), DATE_TIME_PATTERNS[language], locale=language)} ({city})"


FREE = {
    "subject": "Letters for {reference}",
    "body": "Dear {name},\n\nyour application {reference}: the deadline is {deadline}. Braces: {{ok}}.",
}


def form(intake, recipients="letters_missing", template="", **extra) -> dict:
    data = {"round_id": intake.id, "recipients": recipients, "template": template, **extra}
    if not template:
        data = {**FREE, **data}
    return data


def preview(client, data) -> str:
    response = client.post("/coordination/mail", data={**data, "preview": "y"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hidden(page: str, name: str) -> str:
    match = (
        re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
        or re.search(rf'type="hidden" name="{name}" value="([^"]*)"', page)
        or re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', page)
    )
    assert match, name
    return match.group(1)


def preview_and_send(client, data):
    page = preview(client, data)
    return client.post(
        "/coordination/mail",
        data={**data, "fingerprint": hidden(page, "fingerprint"), "nonce": hidden(page, "nonce"), "send": "y"},
    )


# --- Groups ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (RecipientGroup.LETTERS_MISSING, ["Anna Schmidt", "Bao Li"]),
        (RecipientGroup.WAITING_LIST, ["Dora Evans"]),  # released only: Emil's decision is not known to him yet
        (RecipientGroup.ADMITTED, ["Fang Zhou"]),
        (
            RecipientGroup.SUBMITTED,
            ["Anna Schmidt", "Bao Li", "Carl Weber", "Dora Evans", "Emil Braun", "Fang Zhou", "Ivy Chen"],
        ),
        (RecipientGroup.DRAFT, ["Gus Miller"]),
        (RecipientGroup.STATE_SUBMITTED, ["Anna Schmidt", "Carl Weber"]),
        (RecipientGroup.UNDER_REVIEW, ["Bao Li"]),
        (RecipientGroup.DECIDED, ["Dora Evans", "Emil Braun", "Fang Zhou", "Ivy Chen"]),
        (RecipientGroup.WITHDRAWN, ["Hans Vogel"]),
    ],
)
def test_groups_select_the_right_applicants(intake, group, expected):
    assert names(bulkmail.recipients(intake, group)) == expected


# --- Preview --------------------------------------------------------------------------------------------------------


def test_preview_shows_the_count_and_one_message_per_language_and_sends_nothing(client, coordinator, intake):
    page = preview(client, form(intake, recipients="submitted"))
    assert "7 applicants will receive this message." in page
    assert "By language: English: 3 · 中文: 2 · Deutsch: 2." in " ".join(page.split())
    assert "One message per language:" in page
    previews = re.findall(r'<article class="border rounded p-3 mb-3 bulkmail-preview" lang="(\w+)"', page)
    assert previews == ["en", "zh", "de"]  # Anna, Bao, Carl: alphabetical
    assert "Dear Anna Schmidt," in page and "Dear Bao Li," in page and "Dear Carl Weber," in page
    assert "Dora Evans" not in page
    assert "Send to 7 applicants now" in page
    assert outbox_rows() == [] and audit_events() == []


def test_preview_of_a_prepared_message_is_in_each_recipients_language(client, coordinator, intake):
    page = preview(client, form(intake, template="letters_missing"))
    assert "2 applicants will receive this message." in page
    assert "Dear Anna Schmidt," in page  # English
    assert "尊敬的Bao Li：" in page  # Chinese salutation of the translated catalogue
    assert outbox_rows() == []


def test_get_offers_the_current_round_and_a_group_from_the_address(client, coordinator, intake):
    page = client.get(f"/coordination/mail?round={intake.id}&recipients=waiting_list").get_data(as_text=True)
    assert f'<option selected value="{intake.id}">Intake 2027</option>' in page
    assert '<option selected value="waiting_list">' in page
    assert "Send to" not in page  # no send button before a preview


# --- Sending --------------------------------------------------------------------------------------------------------


def test_send_writes_one_outbox_row_per_recipient_in_their_zone_and_language(client, coordinator, intake):
    response = preview_and_send(client, form(intake))
    assert response.status_code == 302 and response.headers["Location"] == f"/coordination/mail?round={intake.id}"
    rows = outbox_rows()
    assert [row.recipient for row in rows] == ["anna@example.org", "bao@example.org"]
    anna, bao = rows
    assert anna.language == "en" and bao.language == "zh"
    assert {row.template for row in rows} == {"bulk_message"}
    assert anna.subject == f"Letters for {reference_of('Anna Schmidt')}"
    assert anna.body.startswith(
        f"Dear Anna Schmidt,\n\nyour application {reference_of('Anna Schmidt')}: the deadline is "
        f"{deadline_in('Europe/Berlin', 'en')}. Braces: {{ok}}."
    )
    assert "31 Mar 2027, 23:59 (Berlin)" in anna.body
    assert f"the deadline is {deadline_in('Asia/Shanghai', 'zh')}." in bao.body
    assert "2027年4月1日 05:59 (上海)" in bao.body
    assert all(row.user_id is not None and row.state.value == "waiting" for row in rows)
    assert "2 emails have been put in the outbox" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_prepared_message_is_sent_in_each_recipients_language(client, coordinator, intake):
    preview_and_send(client, form(intake, recipients="admitted", template="admitted"))
    preview_and_send(client, form(intake, recipients="waiting_list", template="waiting_list"))
    fang, dora = sorted(outbox_rows(), key=lambda row: row.recipient, reverse=True)
    assert (fang.recipient, fang.language, fang.template) == ("fang@example.org", "zh", "bulk_admitted")
    assert fang.body.startswith("尊敬的Fang Zhou：") and "本邮件由申请平台自动发送。" in fang.body
    assert reference_of("Fang Zhou") in fang.body
    assert (dora.recipient, dora.template) == ("dora@example.org", "bulk_waiting_list")
    assert dora.subject == f"Your application {reference_of('Dora Evans')}: still on the waiting list"
    assert re.search(r"^http://portal\.test/application/\d+$", dora.body, re.MULTILINE)


def test_deadline_reminder_for_drafts_names_the_deadline_in_the_recipients_zone(client, coordinator, intake):
    preview_and_send(client, form(intake, recipients="draft", template="deadline"))
    (gus,) = outbox_rows()
    assert gus.recipient == "gus@example.org"
    assert deadline_in("Europe/Berlin", "en") in gus.subject and deadline_in("Europe/Berlin", "en") in gus.body


def test_sending_is_audited_with_subject_filter_and_count(client, coordinator, intake):
    preview_and_send(client, form(intake))
    (event,) = audit_events()
    assert (event.actor_id, event.target_type, event.target_id) == (coordinator.id, "intake_rounds", intake.id)
    assert event.details["subject"] == "Letters for {reference}"
    assert event.details["filter"] == "letters_missing" and event.details["count"] == 2
    assert event.details["template"] == "bulk_message" and event.details["body"].startswith("Dear {name}")


def test_sent_messages_reach_the_smtp_server(app, client, coordinator, intake, smtp_server):
    preview_and_send(client, form(intake, recipients="under_review"))
    smtp_server.deliver_outbox(app)
    (message,) = smtp_server.messages
    assert message["To"] == "bao@example.org" and message["Content-Language"] == "zh"
    assert "Dear Bao Li," in smtp_server.body_of(message)


def test_nothing_is_sent_without_a_preview(client, coordinator, intake):
    response = client.post("/coordination/mail", data={**form(intake), "send": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "have changed since the preview" in page
    assert "2 applicants will receive this message." in page
    assert outbox_rows() == []


def test_a_text_changed_after_the_preview_is_previewed_again(client, coordinator, intake):
    data = form(intake)
    page = preview(client, data)
    changed = {
        **data,
        "body": "Something else, {name}.",
        "fingerprint": hidden(page, "fingerprint"),
        "nonce": hidden(page, "nonce"),
        "send": "y",
    }
    page = client.post("/coordination/mail", data=changed).get_data(as_text=True)
    assert "have changed since the preview" in page and "Something else, Anna Schmidt." in page
    assert outbox_rows() == []


def test_recipients_changed_after_the_preview_are_previewed_again(client, coordinator, intake):
    data = form(intake)
    page = preview(client, data)
    applicant(intake, "Zoe Late", state=S.SUBMITTED)
    db.session.commit()
    response = client.post(
        "/coordination/mail",
        data={**data, "fingerprint": hidden(page, "fingerprint"), "nonce": hidden(page, "nonce"), "send": "y"},
    )
    assert "3 applicants will receive this message." in response.get_data(as_text=True)
    assert outbox_rows() == []


def test_the_same_preview_is_sent_only_once(client, coordinator, intake):
    data = form(intake)
    page = preview(client, data)
    sent = {**data, "fingerprint": hidden(page, "fingerprint"), "nonce": hidden(page, "nonce"), "send": "y"}
    assert client.post("/coordination/mail", data=sent).status_code == 302
    again = client.post("/coordination/mail", data=sent)
    assert "This message has already been sent." in again.get_data(as_text=True)
    assert len(outbox_rows()) == 2 and len(audit_events()) == 1


# --- Refused texts ---------------------------------------------------------------------------------------------------


def field_error(page: str, field: str) -> str:
    match = re.search(
        rf'<div id="{field}-error" class="invalid-feedback d-block" role="alert">(.*?)</div>', page, re.DOTALL
    )
    assert match, f"no error next to {field}"
    return match.group(1)


@pytest.mark.parametrize(
    ("field", "text", "shown"),
    [
        ("body", "Dear {nmae},", "{nmae}"),
        ("body", "Leak {name.__class__.__mro__}", "{name.__class__.__mro__}"),
        ("subject", "Item {name[0]}", "{name[0]}"),
        ("body", "Positional {0} and {}", "{0}, {}"),
        ("body", "Conversion {name!r}", "{name!r}"),
        ("subject", "Padded {name:>40}", "{name:&gt;40}"),
    ],
)
def test_unknown_placeholders_are_refused_next_to_their_field(client, coordinator, intake, field, text, shown):
    page = preview(client, form(intake, **{field: text}))
    error = field_error(page, field)
    assert f"Unknown placeholder: {shown}." in error and "{name}, {reference} and {deadline}" in error
    assert "will receive this message" not in page
    # What was typed is still in the form.
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in page
    assert outbox_rows() == []


def test_an_unclosed_brace_is_refused(client, coordinator, intake):
    page = preview(client, form(intake, body="Dear {name"))
    assert "A curly brace is not closed." in field_error(page, "body")


def test_sending_a_refused_text_writes_nothing(client, coordinator, intake):
    response = client.post(
        "/coordination/mail", data={**form(intake, body="{secret}"), "fingerprint": "x", "nonce": "y", "send": "y"}
    )
    assert "Unknown placeholder: {secret}." in field_error(response.get_data(as_text=True), "body")
    assert outbox_rows() == [] and audit_events() == []


def test_a_reference_cannot_be_sent_to_drafts(client, coordinator, intake):
    page = preview(client, form(intake, recipients="draft"))
    assert "no reference number yet" in field_error(page, "subject")
    page = preview(client, form(intake, recipients="draft", template="letters_missing"))
    assert "drafts do not have yet" in field_error(page, "template")


def test_subject_and_text_are_needed_without_a_prepared_message(client, coordinator, intake):
    page = preview(client, form(intake, subject=" ", body="Hello"))
    assert "Please enter a subject" in field_error(page, "subject")
    page = preview(client, form(intake, body=""))
    assert "Please write the message" in field_error(page, "body")


def test_an_empty_group_is_refused_next_to_the_recipients(client, coordinator, intake):
    db.session.execute(
        Decision.__table__.update().where(Decision.outcome == DecisionOutcome.ADMIT).values(released_at=None)
    )
    db.session.commit()
    page = preview(client, form(intake, recipients="admitted", template="admitted"))
    assert "No applicant of this round belongs to this group." in field_error(page, "recipients")


def test_unknown_round_or_group_is_refused(client, coordinator, intake):
    page = preview(client, form(intake, recipients="everyone"))
    assert field_error(page, "recipients")
    page = preview(client, {**form(intake), "round_id": 999999})
    assert field_error(page, "round_id")
    assert outbox_rows() == []


def test_the_service_refuses_attribute_access_even_when_called_directly(intake):
    composition = Composition.build(intake, "letters_missing", "", "Hi", "{deadline.tzinfo}")
    with pytest.raises(bulkmail.BulkMailError) as refused:
        bulkmail.preview(composition)
    assert refused.value.field == "body"


# --- Who may --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_non_coordinators_are_refused(client, login_as, intake, role):
    login_as(role)
    assert client.get("/coordination/mail").status_code == 403
    data = form(intake)
    assert client.post("/coordination/mail", data={**data, "preview": "y"}).status_code == 403
    assert client.post("/coordination/mail", data={**data, "send": "y"}).status_code == 403
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_the_dashboard_links_to_the_mail_page(client, coordinator, intake):
    page = client.get(f"/coordination/?round={intake.id}").get_data(as_text=True)
    assert f'href="/coordination/mail?round={intake.id}"' in page
