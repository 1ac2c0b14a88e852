"""The rules package stays pure: no Odoo, only the stdlib and dateutil, relative imports."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import rules

RULES_DIR = (
    Path(__file__).resolve().parent.parent / "aircall_subscription_amendments" / "rules"
)
RULES_FILES = sorted(RULES_DIR.glob("*.py"))
ALLOWED = set(sys.stdlib_module_names) | {"dateutil"}


def absolute_imports(path):
    """Top-level module names imported absolutely by a source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_rules_package_has_its_modules():
    names = {path.stem for path in RULES_FILES}
    assert {"__init__", "errors", "calendar", "proration", "notice", "plan"} <= names


@pytest.mark.parametrize("path", RULES_FILES, ids=lambda path: path.name)
def test_rules_module_imports_only_stdlib_and_dateutil(path):
    imported = set(absolute_imports(path))
    assert "odoo" not in imported
    assert imported <= ALLOWED, f"{path.name} imports {sorted(imported - ALLOWED)}"


def test_the_import_check_catches_odoo(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from odoo.tools import float_round\nimport odoo.addons\n")
    assert list(absolute_imports(module)) == ["odoo", "odoo"]


def test_importing_rules_does_not_import_odoo():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import rules; "
        "print(sorted(m for m in sys.modules if m == 'odoo' or m.startswith('odoo.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(RULES_DIR.parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_public_names_are_exported():
    for name in rules.__all__:
        assert hasattr(rules, name), name
    assert {"make_plan", "decide", "share", "term_bounds", "RuleError"} <= set(
        rules.__all__
    )
