"""The same-university conflict (derived, on by default, switchable per round) and the assignment proposal that the
coordinator may edit (swap a reviewer) before saving, checked again on save: conflicts, duplicates, balance, stale."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import IntakeRound
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import assignments
from portal.review.models import ConflictReason, ReviewAssignment
from portal.review.permissions import conflict_reasons
from portal.review.proposal_rules import EditedProposal, ProposalRefused, ProposalStale, ProposalUnbalanced
from portal.review.reminders import due_assignments
from portal.review.services import assigned_applications
from tests.conftest import sign_in
from tests.factories import IntakeRoundFactory, UserFactory, add_review, committee_member, judged, supervisor

pytestmark = pytest.mark.usefixtures("plain_app_context")


def assignment_count() -> int:
    return db.session.scalar(select(func.count(ReviewAssignment.id))) or 0


# --- The same-university conflict -------------------------------------------------------------------------------------


@pytest.fixture
def tongji_case():
    """An application whose Chinese supervisor is at Tongji, and a committee member seated at Tongji."""
    intake = IntakeRoundFactory()
    application = judged(intake, chinese=supervisor("TONGJI"))
    member = committee_member("TONGJI")
    db.session.commit()
    return intake, application, member


def test_a_seat_at_a_chosen_supervisors_university_is_a_conflict_by_default(tongji_case):
    intake, application, member = tongji_case
    assert intake.same_university_conflict is True
    assert conflict_reasons(member, application) == {ConflictReason.SAME_UNIVERSITY}
    assert conflict_reasons(committee_member("SCU"), application) == set()
    with pytest.raises(assignments.AssignmentError, match="Same university as a chosen supervisor"):
        assignments.assign(application, member, by=None, now=utcnow())
    proposal = assignments.propose(intake, per_application=3)
    assert (application.id, member.id) not in proposal.id_pairs
    assert member not in [m.user for m in proposal.options[application.id]]
    assert assignment_count() == 0


def test_the_round_can_switch_it_off_and_every_place_follows(tongji_case):
    intake, application, member = tongji_case
    intake.same_university_conflict = False
    db.session.flush()
    assert conflict_reasons(member, application) == set()
    assignment = assignments.assign(application, member, by=None, now=utcnow())
    assert [row.application_id for group in assigned_applications(member) for row in group.rows] == [application.id]
    intake.reviews_due = utcnow() + dt.timedelta(days=3)
    assert assignment in due_assignments(utcnow())
    # Switched on again after the assignment: the application disappears from the member's list and reminders.
    intake.same_university_conflict = True
    db.session.flush()
    assert assigned_applications(member) == []
    assert assignment not in due_assignments(utcnow())


def test_a_conflict_arising_after_the_assignment_closes_the_review_page(client, tongji_case):
    intake, application, member = tongji_case
    intake.same_university_conflict = False
    assignments.assign(application, member, by=None, now=utcnow())
    db.session.commit()
    sign_in(client, member)
    assert client.get(f"/review/application/{application.id}").status_code == 200
    db.session.get(IntakeRound, intake.id).same_university_conflict = True
    db.session.commit()
    assert client.get(f"/review/application/{application.id}").status_code == 404


def test_the_round_form_switches_the_setting_and_the_audit_records_it(client, tongji_case):
    intake, _application, _member = tongji_case
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    sign_in(client, coordinator)
    form = client.get(f"/coordination/rounds/{intake.id}/edit").get_data(as_text=True)
    assert re.search(r'<input [^>]*checked [^>]*id="same_university_conflict"', form)
    data = {"name": intake.name, "zone": "Europe/Berlin", "decisions_on": "", "reviews_required": "2"}
    for field in ("opens_at", "closes_at", "reviews_due"):
        data[field] = form.split(f'id="{field}"')[1].split('value="')[1].split('"')[0]
    assert client.post(f"/coordination/rounds/{intake.id}/edit", data=data).status_code == 302  # unticked
    assert db.session.get(IntakeRound, intake.id).same_university_conflict is False
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.updated")).one()
    assert event.details["changes"] == {"same_university_conflict": [True, False]}


# --- Editing the proposal ---------------------------------------------------------------------------------------------


@pytest.fixture
def round_to_assign():
    """Two applications (supervisors at TUC and Tongji) and four members away from those universities: two German,
    two Chinese. With two reviewers each, the computed proposal gives every member one review, one of each side."""
    intake = IntakeRoundFactory()
    applications = [judged(intake, family=f"Applicant{n}") for n in range(2)]
    seats = (("UGOE", "Anke Germer"), ("LUH", "Bernd Hahn"), ("SCU", "Chen Bo"), ("ZZU", "Du Fang"))
    members = {name.split()[0]: committee_member(code, name=name) for code, name in seats}
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    return intake, applications, members, coordinator


def edited(proposal, swaps: dict[int, int] | None = None, confirmed: bool = False) -> EditedProposal:
    """The proposal as computed, with rows swapped to other members ({row: user id})."""
    pairs = list(proposal.id_pairs)
    for row, user_id in (swaps or {}).items():
        pairs[row] = (pairs[row][0], user_id)
    return EditedProposal(pairs, proposal.per_application, proposal.basis, confirmed)


def rows_of(proposal, member) -> list[int]:
    return [row for row, (_application_id, user_id) in enumerate(proposal.id_pairs) if user_id == member.id]


def saved_pairs() -> set[tuple[int, int]]:
    return set(db.session.execute(select(ReviewAssignment.application_id, ReviewAssignment.reviewer_id)).all())


def test_the_computed_proposal_is_balanced_and_mixed(round_to_assign):
    intake, applications, members, _coordinator = round_to_assign
    proposal = assignments.propose(intake, per_application=2)
    assert len(proposal.pairs) == 4 and proposal.positions == [0, 1, 2, 3]
    assert [a.id for a, _m in proposal.pairs] == sorted(a.id for a in applications for _ in range(2))
    assert sorted(len(rows_of(proposal, m)) for m in members.values()) == [1, 1, 1, 1]


def test_swapping_two_german_members_between_applications_is_saved_as_edited(round_to_assign):
    intake, _applications, members, coordinator = round_to_assign
    proposal = assignments.propose(intake, per_application=2)
    (anke_row,), (bernd_row,) = rows_of(proposal, members["Anke"]), rows_of(proposal, members["Bernd"])
    swapped = edited(proposal, {anke_row: members["Bernd"].id, bernd_row: members["Anke"].id})
    assert swapped.pairs != proposal.id_pairs
    assert assignments.apply_proposal(intake, swapped, by=coordinator, now=utcnow()) == 4
    assert saved_pairs() == set(swapped.pairs)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.proposal_applied")).one()
    assert event.details == {"assignments": 4, "balance_confirmed": False}


def test_a_swap_to_a_conflicted_member_is_refused_next_to_its_row_and_nothing_is_saved(round_to_assign):
    intake, _applications, members, coordinator = round_to_assign
    committee_member("TONGJI", name="Gu Hong")  # at the university of every application's Chinese supervisor
    db.session.commit()
    proposal = assignments.propose(intake, per_application=2)
    gu = db.session.scalars(select(User).where(User.name == "Gu Hong")).one()
    assert gu.id not in {user_id for _a, user_id in proposal.id_pairs}
    assert all(gu.id not in [m.user_id for m in options] for options in proposal.options.values())
    (row,) = rows_of(proposal, members["Chen"])
    with pytest.raises(ProposalRefused) as refused:
        assignments.apply_proposal(intake, edited(proposal, {row: gu.id}), by=coordinator, now=utcnow())
    assert list(refused.value.rows) == [row]
    assert refused.value.rows[row].startswith("Gu Hong has a conflict of interest with IPK-")
    assert "(Same university as a chosen supervisor)" in refused.value.rows[row]
    db.session.rollback()
    assert assignment_count() == 0


def test_a_member_chosen_twice_or_already_assigned_is_refused(round_to_assign):
    intake, applications, members, coordinator = round_to_assign
    proposal = assignments.propose(intake, per_application=2)
    first, second = [row for row, (a, _u) in enumerate(proposal.id_pairs) if a == applications[0].id]
    twice = edited(proposal, {second: proposal.id_pairs[first][1]})
    with pytest.raises(ProposalRefused) as refused:
        assignments.apply_proposal(intake, twice, by=coordinator, now=utcnow())
    assert refused.value.rows == {
        second: f"{db.session.get(User, proposal.id_pairs[first][1]).name}"
        f" is chosen twice for {applications[0].reference}."
    }
    db.session.rollback()
    assert assignment_count() == 0
    # A forged row naming an assignment that exists (the basis knows it) is refused as a duplicate too.
    assignments.assign(applications[0], members["Anke"], by=None, now=utcnow())
    fresh = assignments.propose(intake, per_application=3)
    forged = EditedProposal([*fresh.id_pairs, (applications[0].id, members["Anke"].id)], 3, fresh.basis, True)
    with pytest.raises(ProposalRefused) as refused:
        assignments.apply_proposal(intake, forged, by=coordinator, now=utcnow())
    assert refused.value.rows == {len(fresh.id_pairs): f"Anke Germer already reviews {applications[0].reference}."}


def test_a_proposal_computed_before_the_round_changed_is_stale(round_to_assign):
    intake, applications, members, coordinator = round_to_assign
    proposal = assignments.propose(intake, per_application=2)
    assignments.assign(applications[1], members["Du"], by=None, now=utcnow())  # another coordinator, meanwhile
    before = saved_pairs()
    with pytest.raises(ProposalStale):
        assignments.apply_proposal(intake, edited(proposal), by=coordinator, now=utcnow())
    db.session.rollback()
    assert saved_pairs() <= before


def test_an_uneven_swap_needs_a_confirmation(round_to_assign):
    intake, _applications, members, coordinator = round_to_assign
    proposal = assignments.propose(intake, per_application=2)
    (anke_row,) = rows_of(proposal, members["Anke"])
    (chen_row,) = rows_of(proposal, members["Chen"])
    application_of_chen = proposal.id_pairs[chen_row][0]
    # Bernd takes Anke's row: Bernd 2, Anke 0.
    with pytest.raises(ProposalUnbalanced) as refused:
        assignments.apply_proposal(
            intake, edited(proposal, {anke_row: members["Bernd"].id}), by=coordinator, now=utcnow()
        )
    assert "Bernd Hahn would review 2 applications, Anke Germer 0." in refused.value.message
    db.session.rollback()
    assert assignment_count() == 0
    # A German member instead of a Chinese one: the application loses its Chinese side, named next to its row.
    german_for_chinese = {
        chen_row: next(
            m.id for m in (members["Anke"], members["Bernd"]) if (application_of_chen, m.id) not in proposal.id_pairs
        )
    }
    with pytest.raises(ProposalUnbalanced) as refused:
        assignments.apply_proposal(intake, edited(proposal, german_for_chinese), by=coordinator, now=utcnow())
    assert refused.value.rows == {chen_row: "No reviewer from a Chinese university any more."}
    db.session.rollback()
    confirmed = edited(proposal, german_for_chinese, confirmed=True)
    assert assignments.apply_proposal(intake, confirmed, by=coordinator, now=utcnow()) == 4
    assert saved_pairs() == set(confirmed.pairs)


# --- The page ---------------------------------------------------------------------------------------------------------


def proposal_form(page: str) -> dict:
    """What the page's proposal form posts as shown: each row's chosen member, the basis, reviewers per application."""
    return {
        "pair": re.findall(r'<option value="(\d+:\d+)" selected>', page),
        "basis": re.search(r'name="basis" type="hidden" value="([0-9a-f]+)"', page).group(1),
        "per_application": re.search(r'name="per_application" type="hidden" value="(\d)"', page).group(1),
    }


def test_the_coordinator_swaps_a_reviewer_on_the_page(client, round_to_assign):
    intake, _applications, members, coordinator = round_to_assign
    sign_in(client, coordinator)
    page = client.get(f"/review/rounds/{intake.id}/assignments?per_application=2").get_data(as_text=True)
    data = proposal_form(page)
    assert len(data["pair"]) == 4 and 'name="pair"' in page
    anke, bernd = members["Anke"].id, members["Bernd"].id
    rows = {pair.split(":")[1]: row for row, pair in enumerate(data["pair"])}
    a, b = data["pair"][rows[str(anke)]], data["pair"][rows[str(bernd)]]
    data["pair"][rows[str(anke)]] = f"{a.split(':')[0]}:{bernd}"
    data["pair"][rows[str(bernd)]] = f"{b.split(':')[0]}:{anke}"
    response = client.post(f"/review/rounds/{intake.id}/assignments/proposal", data=data, follow_redirects=True)
    assert "4 assignments have been saved." in response.get_data(as_text=True)
    assert saved_pairs() == {tuple(int(n) for n in pair.split(":")) for pair in data["pair"]}


def test_a_refused_swap_shows_the_page_again_with_the_choice_and_the_reason(client, round_to_assign):
    intake, _applications, members, coordinator = round_to_assign
    sign_in(client, coordinator)
    page = client.get(f"/review/rounds/{intake.id}/assignments?per_application=2").get_data(as_text=True)
    data = proposal_form(page)
    row = next(r for r, pair in enumerate(data["pair"]) if pair.endswith(f":{members['Anke'].id}"))
    data["pair"][row] = data["pair"][row].split(":")[0] + f":{members['Bernd'].id}"
    response = client.post(f"/review/rounds/{intake.id}/assignments/proposal", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and assignment_count() == 0
    assert "Bernd Hahn would review 2 applications, Anke Germer 0." in text
    assert re.findall(r'<option value="(\d+:\d+)" selected>', text) == data["pair"]  # the choices are kept
    assert 'name="balance_confirmed"' in text
    response = client.post(
        f"/review/rounds/{intake.id}/assignments/proposal",
        data={**data, "balance_confirmed": "y"},
        follow_redirects=True,
    )
    assert "4 assignments have been saved." in response.get_data(as_text=True)
    assert assignment_count() == 4


def test_a_stale_proposal_on_the_page_is_computed_again_and_nothing_is_saved(client, round_to_assign):
    intake, applications, members, coordinator = round_to_assign
    sign_in(client, coordinator)
    data = proposal_form(client.get(f"/review/rounds/{intake.id}/assignments?per_application=2").get_data(as_text=True))
    add_review(applications[0], reviewer=members["Du"])  # someone assigned Du meanwhile
    db.session.commit()
    response = client.post(f"/review/rounds/{intake.id}/assignments/proposal", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/review/rounds/{intake.id}/assignments?per_application=2")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "have changed since the proposal was computed. Nothing has been saved" in page
    assert assignment_count() == 1


@pytest.mark.parametrize("pair", ["1:x", "12345678901:1", "", "1:2:3"])
def test_an_unreadable_proposal_is_refused_and_nothing_is_saved(client, round_to_assign, pair):
    intake, _applications, _members, coordinator = round_to_assign
    sign_in(client, coordinator)
    data = {"pair": [pair], "basis": "0" * 24, "per_application": "2"}
    response = client.post(f"/review/rounds/{intake.id}/assignments/proposal", data=data, follow_redirects=True)
    assert "The proposal could not be read. Please compute it again." in response.get_data(as_text=True)
    assert assignment_count() == 0
