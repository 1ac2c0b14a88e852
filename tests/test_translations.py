"""Each addon's fr.po translates every entry of the .pot exported from it, none fuzzy."""

import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
ADDONS = ["aircall_subscription_amendments", "aircall_subscription_amendments_queue"]


@pytest.fixture(scope="module", params=ADDONS)
def catalogs(request):
    i18n = ROOT / request.param / "i18n"
    pot = polib.pofile(str(i18n / f"{request.param}.pot"))
    assert len(pot) > 0, "make i18n exports the addon's terms"
    return pot, polib.pofile(str(i18n / "fr.po"))


def test_every_pot_entry_is_in_fr_po(catalogs):
    pot, po = catalogs
    translated = {(entry.msgctxt, entry.msgid) for entry in po}
    missing = [e.msgid for e in pot if (e.msgctxt, e.msgid) not in translated]
    assert missing == []


def test_fr_po_has_no_untranslated_entry(catalogs):
    _pot, po = catalogs
    assert [entry.msgid for entry in po.untranslated_entries()] == []


def test_fr_po_has_no_fuzzy_entry(catalogs):
    _pot, po = catalogs
    assert [entry.msgid for entry in po.fuzzy_entries()] == []


def test_fr_po_keeps_every_placeholder(catalogs):
    _pot, po = catalogs
    placeholder = re.compile(r"%\((\w+)\)s|%s|%d")
    wrong = [
        entry.msgid
        for entry in po.translated_entries()
        if sorted(placeholder.findall(entry.msgid))
        != sorted(placeholder.findall(entry.msgstr))
    ]
    assert wrong == []


def test_fr_po_keeps_the_markup(catalogs):
    _pot, po = catalogs
    tag = re.compile(r"<[^>]+>")
    wrong = [
        entry.msgid
        for entry in po.translated_entries()
        if tag.findall(entry.msgid) != tag.findall(entry.msgstr)
    ]
    assert wrong == []
