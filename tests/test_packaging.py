"""Each addon's wheel installs it into the odoo.addons namespace, with its data files.

Both distributions (the addon and its queue_job bridge) are built by whool (each
addon's ``pyproject.toml``), as OCA's 18.0 addons are: name, version and requirements
come from the manifest. The repository's root ``setup.py`` builds one wheel holding
both addons (``pip install .``); it must hold, for each addon, the very files of
whool's wheel, from a git checkout and from its sdist (no git) alike.
"""

import ast
import subprocess
import sys
import tarfile
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


def _pip_wheel(source, out):
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
            str(source),
        ],
        check=True,
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def _contents(wheel):
    """{name: bytes} of the wheel's files, its .dist-info left out."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if ".dist-info/" not in name
        }


@pytest.fixture(scope="module")
def whool_wheel(tmp_path_factory, addon):
    return _pip_wheel(ROOT / addon, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def wheel_names(whool_wheel):
    wheel = whool_wheel
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/METADATA")
        ]
        return wheel.name, set(archive.namelist()), archive.read(metadata).decode()


def _manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())


def test_manifest_identity():
    manifest = _manifest(MAIN)
    assert manifest["version"] == "18.0.1.5.0"
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


# The root setup.py: both addons in one wheel.


@pytest.fixture(scope="module")
def root_wheel(tmp_path_factory):
    """``pip wheel .`` at the root of this checkout (git answers what it holds)."""
    return _pip_wheel(ROOT, tmp_path_factory.mktemp("root"))


@pytest.fixture(scope="module")
def sdist_wheel(tmp_path_factory):
    """The root's sdist, unpacked where git is not, with Python caches in it, and
    built: the file list then comes from the tree."""
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools.build_meta import __legacy__ as backend;"
            " backend.build_sdist(sys.argv[1])",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        # the "data" filter where this Python has it (3.11.4 on)
        extras = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(out, **extras)
    (tree,) = [path for path in out.iterdir() if path.is_dir()]
    cache = tree / MAIN / "models" / "__pycache__"
    cache.mkdir()
    (cache / "sale_subscription.cpython-311.pyc").write_bytes(b"junk")
    (tree / MAIN / "rules" / "stray.pyc").write_bytes(b"junk")
    return _pip_wheel(tree, out / "wheel")


def _root_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/METADATA")
        ]
        return archive.read(metadata).decode()


@pytest.mark.parametrize("built", ["root_wheel", "sdist_wheel"])
def test_root_wheel_holds_each_addon_as_whool_ships_it(
    request, built, whool_wheel, addon
):
    root = _contents(request.getfixturevalue(built))
    prefix = f"odoo/addons/{addon}/"
    mine = {name: data for name, data in root.items() if name.startswith(prefix)}
    whool = _contents(whool_wheel)
    missing = sorted(set(whool) - set(mine))
    extra = sorted(set(mine) - set(whool))
    changed = sorted(
        name for name in set(mine) & set(whool) if mine[name] != whool[name]
    )
    assert (missing, extra, changed) == ([], [], [])


@pytest.mark.parametrize("built", ["root_wheel", "sdist_wheel"])
def test_root_wheel_holds_the_two_addons_and_nothing_else(request, built):
    files = _contents(request.getfixturevalue(built))
    assert f"odoo/addons/{MAIN}/__manifest__.py" in files
    assert f"odoo/addons/{BRIDGE}/__manifest__.py" in files
    others = [
        name
        for name in files
        if not name.startswith((f"odoo/addons/{MAIN}/", f"odoo/addons/{BRIDGE}/"))
    ]
    # no odoo/__init__.py (it would shadow Odoo), no tests/, setup.py, README.md
    assert not others
    assert not [name for name in files if "__pycache__" in name or ".pyc" in name]


def test_root_wheel_is_versioned_after_the_main_manifest(root_wheel):
    version = _manifest(MAIN)["version"]
    assert root_wheel.name.startswith(f"aircall_subscription_amendments-{version}-")
    metadata = _root_metadata(root_wheel)
    assert _metadata_field(metadata, "Name") == ["aircall-subscription-amendments"]
    assert _metadata_field(metadata, "Version") == [version]


def test_root_wheel_requires_what_whool_wheels_require(root_wheel):
    requires = {}
    for req in map(
        Requirement, _metadata_field(_root_metadata(root_wheel), "Requires-Dist")
    ):
        extra = (
            "queue" if req.marker and req.marker.evaluate({"extra": "queue"}) else ""
        )
        requires.setdefault(extra, set()).add(
            (canonicalize_name(req.name), str(req.specifier))
        )
    # the main addon's as they are; the bridge's, but the main addon (in the same
    # wheel), as the extra "queue": pip install ".[queue]"
    inside = ("odoo-addon-aircall-subscription-amendments", "==18.0.*")
    assert requires == {
        "": REQUIRES[MAIN],
        "queue": REQUIRES[BRIDGE] - REQUIRES[MAIN] - {inside},
    }
