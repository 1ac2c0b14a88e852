"""The wheel installs the addon into the odoo.addons namespace, with its data files.

The addon's distribution is built by whool (``aircall_subscription_amendments/
pyproject.toml``), as OCA's 18.0 addons are: name, version and requirements come
from the manifest.
"""

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
ADDON = ROOT / "aircall_subscription_amendments"
PREFIX = "odoo/addons/aircall_subscription_amendments/"


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ADDON),
        ],
        check=True,
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/METADATA")
        ]
        return wheel.name, set(archive.namelist()), archive.read(metadata).decode()


def _manifest():
    return ast.literal_eval((ADDON / "__manifest__.py").read_text())


def test_manifest_identity():
    manifest = _manifest()
    assert manifest["version"] == "18.0.1.2.0"
    assert manifest["license"] == "AGPL-3"
    assert {"subscription_oca", "account", "sale_management"} <= set(
        manifest["depends"]
    )


def _metadata_field(metadata, field):
    return [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith(f"{field}:")
    ]


def test_wheel_is_named_and_versioned_after_the_manifest(wheel_names):
    name, _files, metadata = wheel_names
    assert name.startswith("odoo_addon_aircall_subscription_amendments-18.0.1.2.0-")
    assert _metadata_field(metadata, "Name") == [
        "odoo-addon-aircall_subscription_amendments"
    ]
    # the manifest's version as it is (no ".N" commit count appended)
    assert _metadata_field(metadata, "Version") == [_manifest()["version"]]


def test_wheel_ships_the_addon_in_the_namespace_without_claiming_it(wheel_names):
    _name, files, _metadata = wheel_names
    assert PREFIX + "__manifest__.py" in files
    assert PREFIX + "rules/__init__.py" in files
    # Odoo runs them on upgrade: folders named after the versions, not packages
    for version in ("18.0.1.1.0", "18.0.1.2.0"):
        assert PREFIX + f"migrations/{version}/post-migration.py" in files
    # shipping these would shadow Odoo's own odoo/ package
    assert "odoo/__init__.py" not in files
    assert "odoo/addons/__init__.py" not in files


def test_wheel_ships_every_data_file(wheel_names):
    _name, files, _metadata = wheel_names
    data = [
        path.relative_to(ADDON).as_posix()
        for path in ADDON.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix
        in {".xml", ".csv", ".po", ".pot", ".png", ".html", ".md", ".js", ".scss"}
    ]
    assert data, "the addon has data files"
    missing = [path for path in data if PREFIX + path not in files]
    assert not missing


def test_manifest_data_files_exist():
    for path in _manifest()["data"] + _manifest().get("demo", []):
        assert (ADDON / path).is_file(), path


def test_wheel_declares_its_dependencies(wheel_names):
    _name, _files, metadata = wheel_names
    # derived from the manifest: Odoo for the series, the non-core addons of
    # `depends` (account and sale_management come with Odoo), the Python
    # `external_dependencies`; names compared as pip does (_ and - alike)
    requires = {
        (canonicalize_name(req.name), str(req.specifier))
        for req in map(Requirement, _metadata_field(metadata, "Requires-Dist"))
    }
    assert requires == {
        ("odoo", "==18.0.*"),
        ("odoo-addon-subscription-oca", "==18.0.*"),
        ("python-dateutil", ""),
    }
