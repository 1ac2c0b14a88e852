"""Each addon's wheel installs it into the odoo.addons namespace, with its data files.

Both distributions (the addon and its queue_job bridge) are built by whool (each
addon's ``pyproject.toml``), as OCA's 18.0 addons are: name, version and requirements
come from the manifest.
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
MAIN = "aircall_subscription_amendments"
BRIDGE = "aircall_subscription_amendments_queue"
#: what each wheel requires, compared as pip does (_ and - alike): Odoo for the
#: series, the non-core addons of ``depends`` (account, sale_management come with
#: Odoo), the Python ``external_dependencies``
REQUIRES = {
    MAIN: {
        ("odoo", "==18.0.*"),
        ("odoo-addon-subscription-oca", "==18.0.*"),
        ("python-dateutil", ""),
    },
    BRIDGE: {
        ("odoo", "==18.0.*"),
        ("odoo-addon-aircall-subscription-amendments", "==18.0.*"),
        ("odoo-addon-queue-job", "==18.0.*"),
    },
}


@pytest.fixture(scope="module", params=[MAIN, BRIDGE])
def addon(request):
    return request.param


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory, addon):
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
            str(ROOT / addon),
        ],
        check=True,
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/METADATA")
        ]
        return wheel.name, set(archive.namelist()), archive.read(metadata).decode()


def _manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())


def test_manifest_identity():
    manifest = _manifest(MAIN)
    assert manifest["version"] == "18.0.1.2.0"
    assert manifest["license"] == "AGPL-3"
    assert {"subscription_oca", "account", "sale_management"} <= set(
        manifest["depends"]
    )
    bridge = _manifest(BRIDGE)
    assert bridge["license"] == "AGPL-3"
    assert set(bridge["depends"]) == {MAIN, "queue_job"}
    # installed by itself wherever both are: nobody has to know it exists
    assert bridge["auto_install"] is True


def _metadata_field(metadata, field):
    return [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith(f"{field}:")
    ]


def test_wheel_is_named_and_versioned_after_the_manifest(wheel_names, addon):
    name, _files, metadata = wheel_names
    version = _manifest(addon)["version"]
    assert name.startswith(f"odoo_addon_{addon}-{version}-")
    assert _metadata_field(metadata, "Name") == [f"odoo-addon-{addon}"]
    # the manifest's version as it is (no ".N" commit count appended)
    assert _metadata_field(metadata, "Version") == [version]


def test_wheel_ships_the_addon_in_the_namespace_without_claiming_it(wheel_names, addon):
    _name, files, _metadata = wheel_names
    prefix = f"odoo/addons/{addon}/"
    assert prefix + "__manifest__.py" in files
    assert prefix + "models/__init__.py" in files
    if addon == MAIN:
        assert prefix + "rules/__init__.py" in files
        # Odoo runs them on upgrade: folders named after the versions, not packages
        for version in ("18.0.1.1.0", "18.0.1.2.0"):
            assert prefix + f"migrations/{version}/post-migration.py" in files
    # shipping these would shadow Odoo's own odoo/ package
    assert "odoo/__init__.py" not in files
    assert "odoo/addons/__init__.py" not in files


def test_wheel_ships_every_data_file(wheel_names, addon):
    _name, files, _metadata = wheel_names
    root = ROOT / addon
    data = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix
        in {".xml", ".csv", ".po", ".pot", ".png", ".html", ".md", ".js", ".scss"}
    ]
    assert data, "the addon has data files"
    missing = [path for path in data if f"odoo/addons/{addon}/{path}" not in files]
    assert not missing


@pytest.mark.parametrize("addon_name", [MAIN, BRIDGE])
def test_manifest_data_files_exist(addon_name):
    manifest = _manifest(addon_name)
    for path in manifest["data"] + manifest.get("demo", []):
        assert (ROOT / addon_name / path).is_file(), path


def test_wheel_declares_its_dependencies(wheel_names, addon):
    _name, _files, metadata = wheel_names
    requires = {
        (canonicalize_name(req.name), str(req.specifier))
        for req in map(Requirement, _metadata_field(metadata, "Requires-Dist"))
    }
    assert requires == REQUIRES[addon]
