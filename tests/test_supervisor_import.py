"""Importing supervisors from CSV: the preview, confirming it (created, updated, invited; Chinese names intact),
bad files reported by line with nothing written, encodings, a preview that cannot be trusted, and who may not."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import AccountToken, TokenPurpose, User
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.supervisors.models import ResearchField, SupervisorProfile
from tests.factories import UserFactory, supervisor

IMPORT = "/coordination/people/import"
CONFIRM = "/coordination/people/import/confirm"

GOOD_CSV = (
    "email,name,university_code,title,department,research_areas,languages,capacity,fields\n"
    'li.wei@tongji.edu.cn,李伟,TONGJI,Prof. Dr.,材料科学与工程学院,"Hydrogen storage, metal hydrides",zh; en,3,'
    "materials;energy_hydrogen\n"
    'Anna.Schmidt@TU-Clausthal.de,Anna Schmidt,tuc,Prof. Dr.-Ing.,"Institut für Energieforschung, Clausthal",,de, 4,'
    "energy_hydrogen\n"
    "known@example.org,Known Supervisor,LUH,,,,,5,\n"
    "applicant@example.org,Zhao Min,SCU,Prof.,,,,,big_data\n"
)


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture
def existing():
    """A supervisor whose capacity the file changes, and an applicant who becomes a supervisor."""
    known = supervisor("LUH", capacity=2, user__email="known@example.org", user__name="Known Supervisor")
    applicant = UserFactory(email="applicant@example.org", name="Zhao Min", roles=[Role.APPLICANT])
    db.session.commit()
    return {"known": known.user_id, "known_profile": known.id, "applicant": applicant.id}


def upload(client, content: bytes | str, filename: str = "supervisors.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(IMPORT, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def payload_of(page: str) -> str:
    found = re.search(r'name="payload" type="hidden" value="([^"]+)"', page) or re.search(
        r'type="hidden" name="payload" value="([^"]+)"', page
    )
    assert found, "no confirm form on the page"
    return found.group(1)


def snapshot() -> tuple[int, int, int, int, int]:
    """Users, profiles, tokens, emails and import events: all must stay the same when nothing is written."""
    return (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(SupervisorProfile.id))),
        db.session.scalar(select(func.count(AccountToken.id))),
        db.session.scalar(select(func.count(OutboxEmail.id))),
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "supervisors.imported")),
    )


def profile_by_email(email: str) -> SupervisorProfile | None:
    return db.session.scalars(select(SupervisorProfile).join(SupervisorProfile.user).where(User.email == email)).first()


# --- A good file ---------------------------------------------------------------------------------------------------


def test_preview_then_confirm_creates_updates_and_invites(client, coordinator, existing):
    before = snapshot()
    preview = upload(client, GOOD_CSV)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Preview: nothing has been saved yet" in page
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", page)
    assert rows == [
        ("2", "li.wei@tongji.edu.cn", "李伟"),
        ("3", "anna.schmidt@tu-clausthal.de", "Anna Schmidt"),
        ("4", "known@example.org", "Known Supervisor"),
        ("5", "applicant@example.org", "Zhao Min"),
    ]
    assert page.count("create and invite") == 2 and "add the supervisor role" in page and ">update<" in page
    assert snapshot() == before  # the preview writes nothing

    response = client.post(CONFIRM, data={"payload": payload_of(page)})
    assert response.status_code == 302
    assert "/coordination/people/?role=supervisor" in response.headers["Location"]

    li = profile_by_email("li.wei@tongji.edu.cn")
    assert li.user.name == "李伟" and li.department == "材料科学与工程学院"
    assert li.university.code == "TONGJI" and li.capacity == 3 and li.title == "Prof. Dr."
    assert li.research_areas == "Hydrogen storage, metal hydrides" and li.languages == "zh; en"
    assert li.research_fields == [ResearchField.ENERGY_HYDROGEN, ResearchField.MATERIALS]
    assert li.user.password_hash is None and li.user.role_names == {"supervisor"}
    assert li.user.language == "zh" and li.user.timezone == "Asia/Shanghai"
    anna = profile_by_email("anna.schmidt@tu-clausthal.de")
    assert anna.university.code == "TUC" and anna.department == "Institut für Energieforschung, Clausthal"
    assert anna.capacity == 4 and anna.user.language == "de"

    known = db.session.get(SupervisorProfile, existing["known_profile"])
    assert known.capacity == 5 and known.university.code == "LUH"
    zhao = db.session.get(User, existing["applicant"])
    assert zhao.role_names == {"applicant", "supervisor"}
    assert profile_by_email("applicant@example.org").research_fields == [ResearchField.BIG_DATA]

    invitations = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "invitation")).all()
    assert sorted(email.recipient for email in invitations) == ["anna.schmidt@tu-clausthal.de", "li.wei@tongji.edu.cn"]
    assert {email.recipient: email.language for email in invitations}["li.wei@tongji.edu.cn"] == "zh"
    tokens = db.session.scalars(select(AccountToken)).all()
    assert len(tokens) == 2 and {token.purpose for token in tokens} == {TokenPurpose.INVITATION}

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supervisors.imported")).one()
    assert event.details == {"created": 2, "role_added": 1, "updated": 1, "unchanged": 0, "rows": 4}
    assert event.actor_id == coordinator.id
    updated = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supervisor.profile_updated")).one()
    assert updated.details["changes"] == {"capacity": [2, 5]}


def test_utf8_with_byte_order_mark_and_semicolons_is_accepted(client, coordinator):
    content = "\ufeffemail;name;university_code;fields\r\nwang@scu.edu.cn;王芳;SCU;big_data\r\n".encode()
    page = upload(client, content).get_data(as_text=True)
    assert "create and invite" in page
    assert client.post(CONFIRM, data={"payload": payload_of(page)}).status_code == 302
    assert profile_by_email("wang@scu.edu.cn").user.name == "王芳"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(client, coordinator):
    first = upload(client, GOOD_CSV.split("known@")[0]).get_data(as_text=True)
    client.post(CONFIRM, data={"payload": payload_of(first)})
    before = snapshot()
    second = upload(client, GOOD_CSV.split("known@")[0]).get_data(as_text=True)
    assert second.count(">unchanged<") == 2
    client.post(CONFIRM, data={"payload": payload_of(second)})
    after = snapshot()
    assert after[:4] == before[:4]  # no new account, profile, link or email; only the import is logged
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "supervisors.imported").order_by(AuditEvent.id.desc())
    ).first()
    assert event.details["unchanged"] == 2


# --- Bad files: every problem with its line, nothing written ------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "mail,name,university_code\nli@tongji.edu.cn,Li,TONGJI\n",
            ["Line 1", "Unknown column “mail”", "“email” is missing"],
        ),
        ("email,name\nli@tongji.edu.cn,Li\n", ["Line 1", "The column “university_code” is missing"]),
        ("email,name,university_code,name\nli@x.cn,Li,SCU,Li\n", ["Line 1", "“name” appears twice"]),
        (
            "email,name,university_code\nli@tongji.edu.cn,Li,TONGJI\nzhao@scu.edu.cn,Zhao,SCU\n"
            "LI@tongji.edu.cn,Li W,TONGJI\n",
            ["Line 4", "li@tongji.edu.cn appears twice (first on line 2)"],
        ),
        ("email,name,university_code\nli@tongji.edu.cn,Li,MIT\n", ["Line 2", "Unknown university code “MIT”"]),
        ("email,name,university_code,capacity\nli@x.cn,Li,SCU,drei\n", ["Line 2", "from 0 to 20 (found “drei”)"]),
        ("email,name,university_code,capacity\nli@x.cn,Li,SCU,-1\n", ["Line 2", "(found “-1”)"]),
        ("email,name,university_code,capacity\nli@x.cn,Li,SCU,21\n", ["Line 2", "(found “21”)"]),
        (
            "email,name,university_code,fields\nli@x.cn,Li,SCU,astrology\n",
            ["Line 2", "Unknown research field “astrology”"],
        ),
        ("email,name,university_code\nnot-an-address,Li,SCU\n", ["Line 2", "“not-an-address” is not a valid email"]),
        ("email,name,university_code\nli@x.cn,,SCU\n", ["Line 2", "The name is missing"]),
        (
            "email,name,university_code,department\nli@x.cn,Li,SCU,Energy, Hydrogen\n",
            ["Line 2", "Expected 4 values, found 5"],
        ),
        ('email,name,university_code\nli@x.cn,"Li\nWei,SCU\n', ["Line 2", "not valid CSV"]),
        ("email,name,university_code\n", ["Line 1", "no rows"]),
    ],
)
def test_bad_file_lists_each_problem_with_its_line_and_writes_nothing(client, coordinator, content, expected):
    before = snapshot()
    response = upload(client, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nothing has been imported" in page
    for text in expected:
        assert text in page, text
    assert 'name="payload"' not in page  # nothing to confirm
    assert snapshot() == before


def test_every_bad_row_is_reported_not_only_the_first(client, coordinator):
    content = (
        "email,name,university_code,capacity\n"
        "ok@scu.edu.cn,Fine,SCU,2\n"
        "bad@x.cn,Bad University,XYZ,2\n"
        "\n"
        "worse@x.cn,Bad Capacity,TUC,many\n"
    )
    page = upload(client, content).get_data(as_text=True)
    assert "Line 3" in page and "Line 5" in page and "Line 2<" not in page
    assert "2 errors" in page
    assert profile_by_email("ok@scu.edu.cn") is None


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("gb18030", "Line 2: the file is not UTF-8 encoded"),
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16"),
        ("cp1252", "Line 3: the file is not UTF-8 encoded"),
    ],
)
def test_other_encodings_are_refused_with_a_clear_message(client, coordinator, encoding, message):
    text = (
        "email,name,university_code\nli@tongji.edu.cn,李伟,TONGJI\n"
        if encoding != "cp1252"
        else ("email,name,university_code\nanna@tuc.de,Anna,TUC\njoerg@tuc.de,Jörg Müller,TUC\n")
    )
    before = snapshot()
    response = upload(client, text.encode(encoding))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = page.split('id="file-error"')[1].split("</div>")[0]
    assert message in error and "CSV UTF-8" in error
    assert 'name="payload"' not in page
    assert snapshot() == before


def test_empty_or_missing_file_is_refused(client, coordinator):
    assert "The file is empty" in upload(client, b"").get_data(as_text=True)
    page = client.post(IMPORT, data={}, content_type="multipart/form-data").get_data(as_text=True)
    assert "Please choose a file" in page


# --- The confirm step trusts nothing from the browser -------------------------------------------------------------


def test_a_changed_preview_is_refused(client, coordinator):
    page = upload(client, GOOD_CSV).get_data(as_text=True)
    payload = payload_of(page)
    before = snapshot()
    forged = payload[:-6] + ("AAAAAA" if not payload.endswith("AAAAAA") else "BBBBBB")
    response = client.post(CONFIRM, data={"payload": forged}, follow_redirects=True)
    assert "Please upload the file again" in response.get_data(as_text=True)
    assert client.post(CONFIRM, data={"payload": ""}, follow_redirects=True).status_code == 200
    assert snapshot() == before


def test_a_preview_signed_for_someone_else_is_refused(app, client, coordinator):
    from portal.people import supervisor_import

    other = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    with app.test_request_context("/"):
        plan = supervisor_import.plan_import(GOOD_CSV)
        payload = supervisor_import.sign_import(GOOD_CSV, plan, user=other)
    before = snapshot()
    response = client.post(CONFIRM, data={"payload": payload}, follow_redirects=True)
    assert "Please upload the file again" in response.get_data(as_text=True)
    assert snapshot() == before


def test_confirming_checks_the_file_again_against_the_database(client, coordinator):
    page = upload(client, GOOD_CSV).get_data(as_text=True)
    # Meanwhile, one of the new supervisors registers as an applicant.
    UserFactory(email="li.wei@tongji.edu.cn", roles=[Role.APPLICANT])
    db.session.commit()
    before = snapshot()
    response = client.post(CONFIRM, data={"payload": payload_of(page)})
    new_page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed since the preview" in new_page
    assert snapshot() == before
    # The new preview can be confirmed.
    assert client.post(CONFIRM, data={"payload": payload_of(new_page)}).status_code == 302
    assert profile_by_email("li.wei@tongji.edu.cn").user.role_names == {"applicant", "supervisor"}


def test_the_page_documents_the_columns(client, coordinator):
    page = client.get(IMPORT).get_data(as_text=True)
    for column in ("email", "name", "university_code", "title", "department", "research_areas", "capacity", "fields"):
        assert f"<code>{column}</code>" in page
    assert "<code>TONGJI</code>" in page and "<code>energy_hydrogen</code>" in page


# --- Who may not ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_other_roles_may_not_import(app, client, login_as, role):
    from portal.people import supervisor_import

    user = login_as(role)
    with app.test_request_context("/"):
        payload = supervisor_import.sign_import(
            GOOD_CSV, supervisor_import.plan_import(GOOD_CSV), user=db.session.get(User, user.id)
        )
    before = snapshot()
    assert client.get(IMPORT).status_code == 403
    assert upload(client, GOOD_CSV).status_code == 403
    assert client.post(CONFIRM, data={"payload": payload}).status_code == 403
    assert snapshot() == before
