"""The demo's pages and emails, read in German and Chinese, show no raw stored value: no enum value, no key, no
time zone id, no Python literal."""

from __future__ import annotations

import enum
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from sqlalchemy import select

import portal.models
from portal import db
from portal.accounts.models import User
from portal.core.outbox import OutboxEmail
from tests.conftest import sign_in

DEMO_ACCOUNTS = (
    "applicant@example.org",
    "supervisor.de@example.org",
    "supervisor.cn@example.org",
    "committee@example.org",
    "coordinator@example.org",
    "admin@example.org",
)
PAGES_PER_ACCOUNT = 40
# Pages that show codes on purpose: the import page lists the research field codes a CSV file must use, the API's
# documentation the values its query strings take.
SHOWS_CODES = {"/coordination/people/import", "/api/v1/docs"}
NOT_PAGES = re.compile(
    r"/(logout|download|export|dossier|documents/\d+|summary|personal-data|files?)\b|\.(pdf|csv|xlsx|zip)$"
)
ZONE_ID = re.compile(r"\b(Europe|Asia|America|Africa|Australia|Pacific|Atlantic|Indian|Antarctica)/[A-Z][a-z]+")
PYTHON_LITERALS = re.compile(r"(?<![\w-])(True|False|None)(?![\w-])|\{'|'\}|%\(\w+\)s")


def raw_values() -> set[str]:
    """The stored values of every enum of the portal that no person should read as such: those with an underscore
    (`under_review`, `waiting_list`), which no language writes."""
    portal.models.import_all_models()
    found: set[str] = set()

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("portal."):
                found.update(str(member.value) for member in sub if "_" in str(member.value))
            walk(sub)

    walk(enum.Enum)
    return found


class Text(HTMLParser):
    """The text a person reads, and the page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ("title", "aria-label", "placeholder", "alt"):
            if attributes.get(name):
                self.parts.append(attributes[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def problems_in(text: str, raw: set[str]) -> list[str]:
    """Each raw value in text, with the words around it (to find where it comes from)."""
    patterns = [re.compile(rf"(?<![\w/.-]){re.escape(value)}(?![\w/.-])") for value in raw]
    matches = [match for pattern in [*patterns, ZONE_ID, PYTHON_LITERALS] for match in pattern.finditer(text)]
    flat = " ".join(text.split())
    return [f"{m.group(0)} in “{_around(flat, m.group(0))}”" for m in matches]


def _around(text: str, value: str) -> str:
    at = text.find(value)
    return text[max(0, at - 40) : at + len(value) + 40]


def crawl(client, raw: set[str]) -> dict[str, list[str]]:
    """Visit the pages reachable from the dashboard (GET only, no downloads); the raw values on each."""
    queue, seen, found = ["/dashboard"], set(), {}
    while queue and len(seen) < PAGES_PER_ACCOUNT:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "N", path)  # one page of each kind: /review/application/N/...
        if kind in seen:
            continue
        seen.add(kind)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = Text()
        parser.feed(response.get_data(as_text=True))
        problems = problems_in(" ".join(parser.parts), raw)
        if problems and path not in SHOWS_CODES:
            found[path] = sorted(set(problems))
        for link in parser.links:
            target = urldefrag(link).url
            parsed = urlparse(target)
            if parsed.netloc or not parsed.path.startswith("/") or NOT_PAGES.search(parsed.path):
                continue
            if target not in seen and "page=" not in target and "sort=" not in target:
                queue.append(target)
    return found


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code == 0, result.output


def test_no_page_of_the_demo_shows_a_raw_value(app, demo):
    raw, found = raw_values(), {}
    for email in DEMO_ACCOUNTS:
        for language in ("de", "zh"):
            person = db.session.scalars(select(User).where(User.email == email)).one()
            person.language = language
            db.session.commit()
            client = app.test_client()
            sign_in(client, person)
            found.update({f"{email} {language} {path}": problems for path, problems in crawl(client, raw).items()})
    assert found == {}, "\n".join(f"{page}: {problems}" for page, problems in found.items())


def test_no_email_of_the_demo_shows_a_raw_value(app, demo):
    raw = raw_values()
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.language.in_(("de", "zh")))).all()
    assert emails
    found = {
        f"{email.template} ({email.language})": problems_in(email.subject + "\n" + email.body, raw) for email in emails
    }
    assert {name: problems for name, problems in found.items() if problems} == {}
