"""Every page of the demo a role reaches from its dashboard is valid where validity matters to a person or a screen
reader: no id twice, no empty form action, every required select opens on an empty choice, every label names a field
that exists."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from tests.conftest import sign_in

DEMO_ACCOUNTS = (
    "applicant@example.org",
    "supervisor.de@example.org",
    "committee@example.org",
    "coordinator@example.org",
    "admin@example.org",
)
PAGES_PER_ACCOUNT = 45
NOT_PAGES = re.compile(
    r"/(logout|download|export|dossier|documents/\d+|summary|personal-data|files?)\b|\.(pdf|csv|xlsx|zip)$"
)


class Checker(HTMLParser):
    """The page's ids, empty actions, required selects and labels, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, int] = {}
        self.label_targets: list[str] = []
        self.problems: list[str] = []
        self.links: list[str] = []
        self.select: str | None = None  # the required select whose first option is still to come

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") is not None:
            self.ids[attributes["id"]] = self.ids.get(attributes["id"], 0) + 1
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form" and "action" in attributes and not (attributes["action"] or "").strip():
            self.problems.append(f"a form with an empty action ({attributes.get('class') or 'no class'})")
        if tag == "label" and attributes.get("for"):
            self.label_targets.append(attributes["for"])
        if tag == "select" and "required" in attributes and "multiple" not in attributes:
            self.select = attributes.get("name") or attributes.get("id") or "?"
        elif tag == "option" and self.select is not None:
            if (attributes.get("value") or "") != "":
                self.problems.append(f"the required select {self.select!r} has no empty first option")
            self.select = None

    handle_startendtag = handle_starttag

    def findings(self) -> list[str]:
        doubled = [f"the id {name!r} {count} times" for name, count in self.ids.items() if count > 1]
        dangling = [f"a label for {target!r}, which no element has" for target in self.label_targets
                    if target not in self.ids]
        return [*self.problems, *doubled, *sorted(set(dangling))]


def findings_in(html: str) -> tuple[list[str], list[str]]:
    checker = Checker()
    checker.feed(html)
    checker.close()
    return checker.findings(), checker.links


def crawl(client) -> dict[str, list[str]]:
    """Visit one page of each kind reachable from the dashboard (GET only, no downloads); the findings on each."""
    queue, seen, found = ["/dashboard", "/account/settings"], set(), {}
    while queue and len(seen) < PAGES_PER_ACCOUNT:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "N", urlparse(path).path)  # one page of each kind: /review/application/N/...
        if kind in seen:
            continue
        seen.add(kind)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        problems, links = findings_in(response.get_data(as_text=True))
        if problems:
            found[path] = problems
        for link in links:
            target = urldefrag(link).url
            parsed = urlparse(target)
            if parsed.netloc or not parsed.path.startswith("/") or NOT_PAGES.search(parsed.path):
                continue
            queue.append(target)
    return found


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("email", DEMO_ACCOUNTS)
def test_every_page_of_the_demo_is_valid_html(app, demo, email):
    person = db.session.scalars(select(User).where(User.email == email)).one()
    client = app.test_client()
    sign_in(client, person)
    found = crawl(client)
    assert found == {}, "\n".join(f"{page}: {problems}" for page, problems in found.items())


@pytest.mark.parametrize(
    ("html", "finding"),
    [
        ('<p id="a"></p><input id="a">', "the id 'a' 2 times"),
        ('<form method="post" action=""></form>', "a form with an empty action (no class)"),
        ('<select name="s" required><option value="x">X</option></select>', "the required select 's' has no empty"),
        ('<label for="nowhere">Name</label>', "a label for 'nowhere', which no element has"),
    ],
)
def test_the_check_itself_finds_each_kind_of_fault(html, finding):
    problems, _ = findings_in(html)
    assert any(problem.startswith(finding) for problem in problems), problems


def test_the_check_passes_valid_html():
    html = ('<form method="post" action="/x"><label for="s">S</label><select id="s" name="s" required>'
            '<option value="">–</option><option value="x">X</option></select></form>')
    assert findings_in(html)[0] == []
