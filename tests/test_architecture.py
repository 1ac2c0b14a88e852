"""The README's architecture notes name files and methods that exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "aircall_subscription_amendments"
BRIDGE = ROOT / "aircall_subscription_amendments_queue"


def _file(name):
    """A file the README names: the bridge's by their full path, the addon's
    relative to it."""
    return ROOT / name if name.startswith(BRIDGE.name + "/") else ADDON / name


def _section():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Architecture", 1)[1].split("\n## ", 1)[0]


def test_every_file_named_exists():
    names = set(re.findall(r"`([\w/.\-]+\.py)`", _section()))
    assert len(names) > 20
    missing = sorted(name for name in names if not _file(name).is_file())
    assert not missing


def test_every_method_named_exists():
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for addon in (ADDON, BRIDGE)
        for path in addon.rglob("*.py")
        if "tests" not in path.relative_to(addon).parts
    )
    names = set(re.findall(r"`(_?[a-z]\w*)(?:\(\w*\))?`", _section()))
    names = {name for name in names if "_" in name and not name.endswith(".py")}
    assert len(names) > 20
    missing = sorted(
        name for name in names if not re.search(rf"\bdef {name}\b|\b{name} = ", source)
    )
    assert not missing


def test_every_model_file_is_named():
    named = set(re.findall(r"`((?:models|wizards|rules)/\w+\.py)`", _section()))
    bridge_named = set(re.findall(rf"`{BRIDGE.name}/(models/\w+\.py)`", _section()))
    assert {
        path.relative_to(BRIDGE).as_posix()
        for path in (BRIDGE / "models").glob("*.py")
        if path.name != "__init__.py"
    } == bridge_named
    files = {
        path.relative_to(ADDON).as_posix()
        for folder in ("models", "wizards", "rules")
        for path in (ADDON / folder).glob("*.py")
        if path.name != "__init__.py"
    }
    assert files - named <= {
        "wizards/sale_subscription_amendment_wizard_line.py",
        "rules/errors.py",
    }


def test_no_model_wizard_or_rules_file_above_500_lines():
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
        for addon in (ADDON, BRIDGE)
        for folder in ("models", "wizards", "rules")
        for path in (addon / folder).glob("*.py")
    }
    assert max(sizes.values()) <= 500, max(sizes.items(), key=lambda item: item[1])
