"""The German and Chinese catalogues cover every text of the portal, with the same placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal.config import PROJECT_ROOT

CATALOGUES = PROJECT_ROOT / "portal" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def source_messages() -> set[str]:
    with open(PROJECT_ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = source_messages()
    assert "Sign in" in found and len(found) > 500  # the extraction really read the sources
    return found


@pytest.mark.parametrize("language", ["de", "zh"])
def test_every_text_is_translated_with_the_same_placeholders(messages, language):
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if all(strings):
            translated[key] = (message.id, strings)
    missing = sorted(messages - translated.keys())
    assert missing == [], f"{len(missing)} texts lack a {language} translation (run make extract-messages)"
    for key, (msgid, strings) in translated.items():
        expected = set(PLACEHOLDER.findall(key if isinstance(msgid, str) else msgid[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) <= expected | set(PLACEHOLDER.findall(key)), (key, string)
