"""The coordinators' CSV and Excel exports: read back, Chinese intact, formula injection neutralised, the list's filters
honoured, streamed, audited, and for coordinators only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, ApplicationState, DecisionOutcome
from portal.core import exports
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.reporting import exports as coordination_exports
from portal.review.models import StatementAnswer, SupervisorStatement
from tests.factories import IntakeRoundFactory, light_application, submitted_application, supervisor

S = ApplicationState

HEADER = [
    "Reference",
    "State",
    "Family name",
    "Given names",
    "Native name",
    "Email",
    "Nationality",
    "Date of birth",
    "Research field",
    "Proposal title",
    "German supervisor",
    "University of the German supervisor",
    "Chinese supervisor",
    "University of the Chinese supervisor",
    "Letters of recommendation received (of 2)",
    "Decision",
    "Submitted at (UTC)",
]

INJECTIONS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(1)", "\tcmd", "\rcmd"]


# Factories store files under PORTAL_DATA_DIR, which needs the app's configuration.
pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


def read_csv(response) -> list[list[str]]:
    """The rows of a CSV download, after checking that it starts with the UTF-8 byte order mark."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = response.get_data()
    response.close()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def read_xlsx(response) -> list[list[object]]:
    """The rows of an Excel download (empty cells as None)."""
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_MIMETYPE
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = response.get_data()
    response.close()  # the test client does not close responses (a WSGI server does): the temporary file with it
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        # Control characters are stored escaped (_x000D_ for a carriage return), as Excel reads them.
        return [
            [unescape(value) if isinstance(value, str) else value for value in row]
            for row in workbook.active.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()


@pytest.fixture
def scenario():
    """A round with one complete application (Chinese native name) and a few light ones, and an older round."""
    intake = IntakeRoundFactory(name="Intake 2027")
    other = IntakeRoundFactory(
        name="Intake 2025", opens_at=utcnow() - dt.timedelta(days=400), closes_at=utcnow() - dt.timedelta(days=350)
    )
    tuc, luh, tongji = supervisor("TUC"), supervisor("LUH"), supervisor("TONGJI")
    wang = submitted_application(intake_round=intake, german_supervisor=tuc, chinese_supervisor=tongji)
    wang.referees[0].letter_received_at = wang.submitted_at
    meier = light_application(
        intake,
        family="Meier",
        given="Jonas",
        nationality="DE",
        german=luh,
        chinese=tongji,
        state=S.DECIDED,
        decision=DecisionOutcome.ADMIT,
        released=True,
        letters=2,
    )
    draft = light_application(intake, family="Draft", given="Dora", state=S.DRAFT, german=tuc)
    light_application(other, family="Elsewhere", german=tuc, chinese=tongji)
    db.session.commit()
    return {
        "intake": intake.id,
        "wang": wang.id,
        "meier": meier.id,
        "draft": draft.id,
        "tuc": tuc.id,
        "tongji": tongji.id,
        "luh": luh.id,
    }


def _url(kind: str, scenario, query: str = "") -> str:
    return f"/coordination/applications/export.{kind}?round={scenario['intake']}{query}"


# --- The building blocks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*INJECTIONS, "=", "-"])
def test_cells_starting_like_a_formula_are_prefixed_with_a_quote(value):
    assert exports.neutralise(value) == "'" + value
    assert exports.cell_value(value) == "'" + value


@pytest.mark.parametrize("value", ["Wang", "王小明", "", " =1", "a=b", "'quoted", "1-2"])
def test_other_text_is_left_alone(value):
    assert exports.neutralise(value) == value


def test_cell_values_keep_numbers_and_write_moments_in_utc_iso():
    from zoneinfo import ZoneInfo

    berlin = dt.datetime(2027, 3, 1, 10, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    assert exports.cell_value(berlin) == "2027-03-01T09:30:15Z"
    assert exports.cell_value(dt.date(1998, 5, 17)) == "1998-05-17"
    assert exports.cell_value(2) == 2 and exports.cell_value(None) == ""
    assert exports.cell_value(-3) == -3  # a number is no formula


def test_cells_of_other_types_take_the_same_rules():
    from markupsafe import Markup

    class Moment(dt.datetime):
        pass

    assert exports.cell_value(True) == 1 and exports.cell_value(2.5) == 2.5
    assert exports.cell_value(Markup("=1+1")) == "'=1+1"  # a subclass of str is neutralised too
    assert exports.cell_value(Moment(2027, 3, 1, 9, 30, tzinfo=dt.UTC)) == "2027-03-01T09:30:00Z"


def test_csv_chunks_stream_the_rows_with_the_header_first(monkeypatch):
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 2)
    read: list[int] = []

    def rows():
        for number in range(5):
            read.append(number)
            yield [number, f"row {number}"]

    chunks = exports.csv_chunks(["n", "text"], rows())
    first = next(chunks)
    assert first == b"\xef\xbb\xbfn,text\r\n" and read == []  # nothing read before the header went out
    rest = list(chunks)
    assert len(rest) == 3 and read == [0, 1, 2, 3, 4]
    assert b"".join(rest).decode().splitlines() == [f"{n},row {n}" for n in range(5)]


def test_xlsx_is_written_in_constant_memory_mode_with_strings_never_formulas(tmp_path):
    target = tmp_path / "out.xlsx"
    with target.open("wb") as handle:
        count = exports.write_xlsx(handle, ["a", "b"], [["=1+1", 3], ["王小明", None]], title="Test: [x]")
    assert count == 2
    with zipfile.ZipFile(target) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        # constant_memory writes strings inline, row by row, instead of collecting a shared strings table.
        assert "xl/sharedStrings.xml" not in archive.namelist() and 't="inlineStr"' in sheet
        assert "<f>" not in sheet
    workbook = load_workbook(target)
    sheet = workbook.active
    assert sheet.title == "Test   x"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["a", "b"], ["'=1+1", 3], ["王小明", None]]
    assert sheet["A2"].data_type == "s"
    workbook.close()


def test_xlsx_tempfile_is_rewound_and_has_no_name_on_disk():
    content, count, size = exports.xlsx_tempfile(["a"], [["x"]] * 3)
    try:
        assert count == 3 and size > 0 and content.tell() == 0
        assert content.read(2) == b"PK"
        # Unlinked already: the file disappears as soon as the response closes it.
        assert os.fstat(content.fileno()).st_nlink == 0
    finally:
        content.close()


def test_safe_filename():
    assert exports.safe_filename("applications", "Intake 2027/28 (Herbst)", extension="csv") == (
        "applications-intake-2027-28-herbst.csv"
    )
    assert exports.safe_filename("招生", extension="xlsx") == "export.xlsx"


# --- The applications list ---------------------------------------------------------------------------------------


def test_csv_has_the_columns_and_keeps_chinese_intact(client, coordinator, scenario):
    wang = db.session.get(Application, scenario["wang"])
    rows = read_csv(client.get(_url("csv", scenario)))
    assert rows[0] == HEADER
    by_reference = {row[0]: row for row in rows[1:]}
    # Every application of the round (the draft too, as on the page), none of the other round.
    assert len(rows) == 4 and set(by_reference) == {wang.reference, f"IPK-2027-{scenario['meier']:04d}", ""}
    row = dict(zip(HEADER, by_reference[wang.reference], strict=True))
    assert row == {
        "Reference": wang.reference,
        "State": "Submitted",
        "Family name": "Wang",
        "Given names": "Xiaoming",
        "Native name": "王小明",
        "Email": wang.applicant.email,
        "Nationality": "China",
        "Date of birth": "1998-05-17",
        "Research field": "Energy and Hydrogen",
        "Proposal title": "Hydrogen embrittlement of pipeline steels",
        "German supervisor": wang.german_supervisor.display_name,
        "University of the German supervisor": "Clausthal University of Technology",
        "Chinese supervisor": wang.chinese_supervisor.display_name,
        "University of the Chinese supervisor": "Tongji University",
        "Letters of recommendation received (of 2)": "1",
        "Decision": "",
        "Submitted at (UTC)": wang.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    meier = dict(zip(HEADER, by_reference[f"IPK-2027-{scenario['meier']:04d}"], strict=True))
    assert meier["Decision"] == "Admitted" and meier["Letters of recommendation received (of 2)"] == "2"
    assert meier["Nationality"] == "Germany" and meier["State"] == "Decided"


def test_xlsx_has_the_same_rows_and_keeps_chinese_intact(client, coordinator, scenario):
    csv_rows = read_csv(client.get(_url("csv", scenario)))
    xlsx_rows = read_xlsx(client.get(_url("xlsx", scenario)))
    assert xlsx_rows[0] == HEADER
    assert "王小明" in xlsx_rows[1] or "王小明" in xlsx_rows[2]
    # The same content; the letters count is a number in Excel, empty cells are empty.
    as_text = [["" if value is None else str(value) for value in row] for row in xlsx_rows]
    assert as_text == csv_rows


def test_exports_speak_the_viewers_language(client, login_as, scenario):
    login_as(Role.COORDINATOR, language="de")
    rows = read_csv(client.get(_url("csv", scenario, "&nationality=DE")))
    assert len(rows) == 2
    assert "Leibniz Universität Hannover" in rows[1] and "Deutschland" in rows[1] and "Tongji-Universität" in rows[1]


def test_exports_keep_the_lists_order(client, coordinator, scenario):
    names = [row[2] for row in read_csv(client.get(_url("csv", scenario, "&sort=name&direction=desc")))[1:]]
    assert names == ["Wang", "Meier", "Draft"]
    names = [row[2] for row in read_xlsx(client.get(_url("xlsx", scenario, "&sort=name")))[1:]]
    assert names == ["Draft", "Meier", "Wang"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("family", INJECTIONS)
def test_formula_injection_is_neutralised(client, coordinator, kind, family):
    intake = IntakeRoundFactory()
    application = light_application(
        intake, family=family, given="=1+1", native="@x", title="-cmd|' /C calc'!A0", german=supervisor("TUC")
    )
    db.session.commit()
    response = client.get(f"/coordination/applications/export.{kind}?round={intake.id}")
    rows = read_csv(response) if kind == "csv" else read_xlsx(response)
    assert len(rows) == 2
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["Family name"] == "'" + family
    assert row["Given names"] == "'=1+1" and row["Native name"] == "'@x"
    assert row["Proposal title"] == "'-cmd|' /C calc'!A0"
    assert row["Reference"] == application.reference
    if kind == "xlsx":
        workbook = load_workbook(io.BytesIO(response.get_data()))  # kept by the test response once read
        assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)
        workbook.close()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("&state=submitted", {"wang"}),
        ("&state=decided", {"meier"}),
        ("&university=TUC", {"wang", "draft"}),  # German side
        ("&university=LUH", {"meier"}),
        ("&university=TONGJI", {"wang", "meier"}),  # Chinese side
        ("&field=energy_hydrogen&state=submitted", {"wang"}),
        ("&field=big_data", set()),
        ("&nationality=DE", {"meier"}),
        ("&decision=admit", {"meier"}),
        ("&decision=none", {"wang", "draft"}),
        ("&decision=reject", set()),
        ("&q=XIAOMING", {"wang"}),
        ("&q=王小明", {"wang"}),
        ("&q=jonas+meier", {"meier"}),
    ],
)
def test_exports_honour_the_filters(client, coordinator, scenario, kind, query, expected):
    response = client.get(_url(kind, scenario, query))
    rows = read_csv(response) if kind == "csv" else read_xlsx(response)
    ids = {scenario[key] for key in expected}
    references = {db.session.get(Application, i).reference or "" for i in ids}
    assert {row[0] or "" for row in rows[1:]} == references and len(rows) == len(ids) + 1


def test_search_by_email_in_the_export(client, coordinator, scenario):
    email = db.session.get(Application, scenario["wang"]).applicant.email
    rows = read_csv(client.get(_url("csv", scenario, f"&q={email.upper()}")))
    assert [row[5] for row in rows[1:]] == [email]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_export_is_audited_with_filters_and_row_count(client, coordinator, scenario, kind):
    with client.get(_url(kind, scenario, "&university=TONGJI&q=xiao")) as response:
        assert response.status_code == 200
        response.get_data()
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == coordination_exports.APPLICATIONS_EXPORTED)
    )
    assert event.actor_id == coordinator.id
    assert (event.target_type, event.target_id) == ("intake_rounds", scenario["intake"])
    assert event.details["format"] == kind and event.details["rows"] == 1
    filters = event.details["filters"]
    assert filters["round_id"] == scenario["intake"] and filters["university"] == "TONGJI"
    assert filters["search"] == "xiao" and filters["sort"] == "reference" and filters["state"] == ""


def test_csv_export_streams_and_has_every_row(client, coordinator, monkeypatch):
    monkeypatch.setattr(exports, "CSV_CHUNK_ROWS", 25)
    intake = IntakeRoundFactory()
    german, chinese = supervisor("TUC"), supervisor("TONGJI")
    for number in range(120):
        light_application(intake, family=f"Family{number:03d}", native="李华", german=german, chinese=chinese)
    db.session.commit()
    response = client.get(f"/coordination/applications/export.csv?round={intake.id}&sort=name")
    assert response.status_code == 200 and response.is_streamed
    assert "Content-Length" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    chunks = list(response.response)
    assert len(chunks) == 1 + 120 // 25 + 1  # the header, four full chunks, the rest
    rows = list(csv.reader(io.StringIO(b"".join(chunks)[3:].decode("utf-8"), newline="")))
    assert len(rows) == 121 and rows[0] == HEADER
    assert [row[2] for row in rows[1:]] == [f"Family{n:03d}" for n in range(120)]
    assert {row[4] for row in rows[1:]} == {"李华"}
    response.close()


def test_xlsx_export_is_sent_from_a_file_with_its_length(client, coordinator, scenario):
    with client.get(_url("xlsx", scenario)) as response:
        assert int(response.headers["Content-Length"]) == len(response.get_data())
    assert response.headers["Cache-Control"] == "private, no-store"
    assert (
        response.headers["Content-Disposition"]
        == "attachment; filename=applications-intake-2027-"
        + (response.headers["Content-Disposition"].split("intake-2027-")[1])
    )
    assert response.headers["Content-Disposition"].endswith(".xlsx")


def test_export_of_an_unknown_round_is_404(client, coordinator, scenario):
    assert client.get("/coordination/applications/export.csv?round=999999").status_code == 404
    assert client.get("/coordination/applications/export.xlsx?round=999999").status_code == 404


# --- A doctoral office's list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_office_export_has_only_that_universitys_german_side_with_decisions(client, coordinator, scenario, kind):
    english = f"round={scenario['intake']}&language=en"
    response = client.get(f"/coordination/office/LUH/export.{kind}?{english}")
    rows = read_csv(response) if kind == "csv" else read_xlsx(response)
    assert rows[0] == [*HEADER, "Decision released at (UTC)"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Family name"] == "Meier" and row["Decision"] == "Admitted"
    assert row["University of the German supervisor"] == "Leibniz University Hannover"
    assert str(row["Decision released at (UTC)"]).endswith("Z")
    # TUC: the complete application, not the draft (nor the other round's).
    rows = read_csv(client.get(f"/coordination/office/TUC/export.csv?{english}"))
    assert [row[2] for row in rows[1:]] == ["Wang"] and rows[1][4] == "王小明"
    # The filter by decision.
    assert len(read_csv(client.get(f"/coordination/office/LUH/export.csv?{english}&decision=reject"))) == 1
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == coordination_exports.OFFICE_LIST_EXPORTED).order_by(AuditEvent.id)
    )
    filters = {"round_id": scenario["intake"], "side": "DE", "language": "en"}
    assert [(e.details["format"], e.details["filters"], e.details["rows"]) for e in events] == [
        (kind, {**filters, "university": "LUH", "decision": ""}, 1),
        ("csv", {**filters, "university": "TUC", "decision": ""}, 1),
        ("csv", {**filters, "university": "LUH", "decision": "reject"}, 0),
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_office_exports_are_in_the_offices_language_unless_another_is_chosen(client, coordinator, scenario, kind):
    read = read_csv if kind == "csv" else read_xlsx
    tongji = read(client.get(f"/coordination/office/TONGJI/export.{kind}?round={scenario['intake']}"))
    # A Chinese office: the applications whose Chinese supervisor works there, with Chinese titles and labels.
    assert tongji[0][:3] == ["申请编号", "状态", "姓"] and len(tongji) == 3
    by_family = {row[2]: dict(zip(tongji[0], row, strict=True)) for row in tongji[1:]}
    assert set(by_family) == {"Wang", "Meier"}
    assert by_family["Meier"]["德方导师所在大学"] == "汉诺威莱布尼茨大学" and by_family["Meier"]["决定"] == "已录取"
    # A German office in German; the language asked for wins over the office's.
    luh = read(client.get(f"/coordination/office/LUH/export.{kind}?round={scenario['intake']}"))
    assert luh[0][:2] == ["Referenznummer", "Status"] and luh[1][2] == "Meier"
    english = read(client.get(f"/coordination/office/TONGJI/export.{kind}?round={scenario['intake']}&language=en"))
    assert english[0][:2] == ["Reference", "State"]
    # An unknown language is the office's own; nothing else of the request is in another language.
    odd = read(client.get(f"/coordination/office/TONGJI/export.{kind}?round={scenario['intake']}&language=xx"))
    assert odd[0] == tongji[0]
    assert "Lists for the doctoral offices" in client.get("/coordination/office/").get_data(as_text=True)


# --- The supervisor pairing list ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_pairing_export(client, coordinator, scenario, kind):
    db.session.add(
        SupervisorStatement(
            application_id=scenario["wang"], profile_id=scenario["tongji"], answer=StatementAnswer.WILLING
        )
    )
    db.session.commit()
    response = client.get(f"/coordination/pairing/export.{kind}?round={scenario['intake']}")
    rows = read_csv(response) if kind == "csv" else read_xlsx(response)
    assert rows[0] == [
        "Supervisor",
        "University",
        "Side",
        "Reference",
        "Candidate",
        "Supervisor's statement",
        "Co-supervisor",
        "University of the co-supervisor",
        "Co-supervisor's statement",
    ]
    wang = db.session.get(Application, scenario["wang"])
    tuc, tongji = wang.german_supervisor.display_name, wang.chinese_supervisor.display_name
    body = [row[:1] + row[2:6] + row[6:7] + row[8:] for row in rows[1:]]
    # Each application twice, once under each supervisor; the German side first, the draft left out.
    assert len(rows) == 5
    assert [
        tuc,
        "German side",
        wang.reference,
        "Xiaoming WANG",
        "No statement yet",
        tongji,
        "Willing to supervise",
    ] in (body)
    assert [
        tongji,
        "Chinese side",
        wang.reference,
        "Xiaoming WANG",
        "Willing to supervise",
        tuc,
        "No statement yet",
    ] in (body)
    assert [row[2] for row in rows[1:]] == ["German side", "German side", "Chinese side", "Chinese side"]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == coordination_exports.PAIRING_EXPORTED)
    ).one()
    assert event.details == {"format": kind, "filters": {"round_id": scenario["intake"], "university": ""}, "rows": 4}


# --- Who may export ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_only_coordinators_may_export(client, login_as, scenario, role):
    login_as(role)
    for url in (
        _url("csv", scenario),
        _url("xlsx", scenario),
        f"/coordination/office/TUC/export.csv?round={scenario['intake']}",
        f"/coordination/office/TUC/export.xlsx?round={scenario['intake']}",
        f"/coordination/pairing/export.csv?round={scenario['intake']}",
        f"/coordination/pairing/export.xlsx?round={scenario['intake']}",
    ):
        assert client.get(url).status_code == 403, url
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("coordination.%"))).first() is None
