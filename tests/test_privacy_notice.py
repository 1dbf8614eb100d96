"""The privacy notice in three languages (legal bases, the transfer to China, retention from the configuration, the
rights and where to use them), and its version: a new one asks applicants with a draft to consent again, without
touching anything else they entered."""

from __future__ import annotations

import io
import zipfile

import pytest

from portal import db
from portal.applications.consent import PRIVACY_NOTICE, PRIVACY_NOTICE_VERSION, consent_outdated
from portal.applications.models import Application, ApplicationState
from portal.applications.steps import is_complete
from portal.core.roles import Role
from tests.conftest import sign_in
from tests.factories import IntakeRoundFactory, UserFactory, complete_application

OLD_VERSION = "2026-11"

NOTICE = {
    "en": [
        "Privacy notice",
        "Legal basis",
        "Art. 6(1)(a) GDPR",
        "Art. 6(1)(e) GDPR",
        "Art. 32 GDPR",
        "§ 25(2) No. 2 TDDDG",
        "partner universities in China",
        "Art. 49(1)(a) GDPR",
        "subject to Chinese law",
        "Art. 45 GDPR",
        "123 days after the decisions of the intake round are released",
        "Confirmation of the address: 7 hours",
        "new password: 3 hours",
        "invitation to the portal: 9 days",
        "45 days: data deleted in the portal",
        "Download all my data",
        "Art. 15 and 20 GDPR",
        "Art. 7(3) GDPR",
        "Art. 17 and 18 GDPR",
        "Art. 21 GDPR",
        "Art. 77 GDPR",
        "privacy@ipk.example",
        f"Version {PRIVACY_NOTICE_VERSION}",
    ],
    "de": [
        "Datenschutzhinweise",
        "Rechtsgrundlage",
        "Art. 6 Abs. 1 lit. a DSGVO",
        "Art. 49 Abs. 1 lit. a DSGVO",
        "chinesischen Recht",
        "123 Tage nach der Bekanntgabe der Entscheidungen",
        "neues Passwort: 3 Stunden",
        "Alle meine Daten herunterladen",
        "Widerruf einer Einwilligung",
        "Beschwerde (Art. 77 DSGVO)",
        f"Fassung {PRIVACY_NOTICE_VERSION} vom 5. Dezember 2026",
    ],
    "zh": [
        "隐私声明",
        "法律依据",
        "第49条第1款(a)项",
        "中国法律",
        "123 天",
        "下载我的全部数据",
        "撤回同意",
        "投诉权",
        f"版本 {PRIVACY_NOTICE_VERSION}",
    ],
}


@pytest.fixture
def configured(app, monkeypatch):
    for key, value in {
        "PURGE_AFTER_DAYS": 123,
        "CONFIRM_TOKEN_HOURS": 7,
        "RESET_TOKEN_HOURS": 3,
        "INVITATION_TOKEN_DAYS": 9,
        "BACKUP_KEEP_DAYS": 45,
        "IMPRINT_EMAIL": "privacy@ipk.example",
    }.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.mark.parametrize("language", ["en", "de", "zh"])
def test_the_notice_names_bases_transfer_periods_and_rights_in_every_language(client, configured, language):
    client.post("/language", data={"language": language, "next": "/privacy"})
    page = client.get("/privacy").get_data(as_text=True)
    assert f'lang="{language}"' in page
    assert [text for text in NOTICE[language] if text not in page] == []


def test_the_version_has_one_place_with_its_date():
    assert PRIVACY_NOTICE.version == PRIVACY_NOTICE_VERSION
    assert PRIVACY_NOTICE.published.isoformat() <= "2099-12-31"  # a real date, shown on the page


@pytest.fixture
def applicant_draft(app, client, plain_app_context):
    """A complete draft whose consents were given to the previous notice, its applicant signed in."""
    person = UserFactory(roles=[Role.APPLICANT], language="en")
    draft = complete_application(applicant=person, intake_round=IntakeRoundFactory())
    draft.privacy_consent_version = draft.transfer_consent_version = OLD_VERSION
    db.session.commit()
    sign_in(client, person)
    return draft


def personal_form(draft: Application, **consents) -> dict[str, str]:
    return {
        "version": str(draft.version),
        "family_name": draft.family_name,
        "given_names": "Xiaoming Li",  # a change made on the same visit
        "native_name": draft.native_name,
        "date_of_birth": draft.date_of_birth.isoformat(),
        "nationality": draft.nationality,
        "address": draft.address,
        "phone": draft.phone,
        "save": "y",
        **consents,
    }


def test_a_new_version_asks_a_draft_to_consent_again_and_keeps_everything_else(app, client, applicant_draft):
    draft = applicant_draft
    overview = client.get(f"/application/{draft.id}").get_data(as_text=True)
    assert (
        "The privacy notice has changed." in overview and "consent to the new version of the privacy notice" in overview
    )
    step = client.get(f"/application/{draft.id}/personal").get_data(as_text=True)
    assert "Please read the new version of" in step and "Read the new privacy notice" in step
    assert "Art. 49(1)(a) GDPR" in step  # the notice itself, on the step
    assert 'name="privacy_consent" type="checkbox" value="y">' in step  # not ticked: the old consent does not count

    # Submitting is refused while the consent is to the old version; nothing changes.
    refused = client.post(f"/application/{draft.id}/submit", data={"declaration": "y", "version": draft.version})
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, draft.id).state == ApplicationState.DRAFT

    # Saving the step without the boxes keeps what was typed, and the consent stays void.
    saved = client.post(f"/application/{draft.id}/personal", data=personal_form(draft))
    assert saved.status_code == 302
    db.session.expire_all()
    kept = db.session.get(Application, draft.id)
    assert kept.given_names == "Xiaoming Li" and kept.proposal_title == "Hydrogen embrittlement of pipeline steels"
    assert kept.privacy_consent_at is None and kept.privacy_consent_version is None

    # Ticking both boxes gives consent to the version in force; then the application can be submitted.
    consent = personal_form(kept, privacy_consent="y", transfer_consent="y")
    assert client.post(f"/application/{draft.id}/personal", data=consent).status_code == 302
    db.session.expire_all()
    renewed = db.session.get(Application, draft.id)
    assert renewed.privacy_consent_version == renewed.transfer_consent_version == PRIVACY_NOTICE_VERSION
    assert len(renewed.education) == 1 and len(renewed.documents) == 4 and len(renewed.referees) == 2
    assert "The privacy notice has changed." not in client.get(f"/application/{draft.id}").get_data(as_text=True)
    submitted = client.post(f"/application/{draft.id}/submit", data={"declaration": "y", "version": renewed.version})
    assert submitted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, draft.id).state == ApplicationState.SUBMITTED


def test_a_consent_to_the_version_in_force_keeps_its_time_when_the_step_is_saved_again(app, client, applicant_draft):
    draft = applicant_draft
    draft.privacy_consent_version = draft.transfer_consent_version = PRIVACY_NOTICE_VERSION
    db.session.commit()
    given_at = draft.privacy_consent_at
    form = personal_form(draft, privacy_consent="y", transfer_consent="y")
    assert client.post(f"/application/{draft.id}/personal", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, draft.id).privacy_consent_at == given_at


def test_a_submitted_application_keeps_the_version_it_was_submitted_with(app, client, applicant_draft):
    draft = applicant_draft
    draft.state, draft.reference = ApplicationState.SUBMITTED, "IPK-2027-0042"
    db.session.commit()
    page = client.get(f"/application/{draft.id}").get_data(as_text=True)
    assert "The privacy notice has changed." not in page
    assert db.session.get(Application, draft.id).privacy_consent_version == OLD_VERSION


def test_a_draft_can_download_all_its_data(app, client, applicant_draft):
    overview = client.get(f"/application/{applicant_draft.id}").get_data(as_text=True)
    assert f"/application/{applicant_draft.id}/my-data.zip" in overview
    with client.get(f"/application/{applicant_draft.id}/my-data.zip") as download:  # closed, as a server would
        content = download.get_data()
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "data.json" in archive.namelist()


def test_the_demo_has_a_draft_that_is_asked_to_consent_again(app, plain_app_context):
    from portal.demo.consent import OUTDATED_CONSENT_OWNER, outdate_one_consent

    person = UserFactory(roles=[Role.APPLICANT], email=OUTDATED_CONSENT_OWNER)
    draft = complete_application(applicant=person, intake_round=IntakeRoundFactory())
    outdate_one_consent()
    assert consent_outdated(draft) and not is_complete(draft)
