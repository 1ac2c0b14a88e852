"""fr.po translates every entry of the .pot exported from the module, none fuzzy."""

import re
from pathlib import Path

import polib
import pytest

I18N = Path(__file__).resolve().parents[1] / "aircall_subscription_amendments" / "i18n"
POT = I18N / "aircall_subscription_amendments.pot"
PO = I18N / "fr.po"

pytestmark = pytest.mark.skipif(not POT.exists(), reason="no .pot yet: run `make i18n`")


@pytest.fixture(scope="module")
def catalogs():
    return polib.pofile(str(POT)), polib.pofile(str(PO))


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
