"""The whole repository as one distribution: ``pip install .`` at its root.

Installs both addons into the ``odoo.addons`` namespace, next to a pip-installed
Odoo: ``odoo/addons/aircall_subscription_amendments`` and its queue_job bridge
``odoo/addons/aircall_subscription_amendments_queue`` (installed by Odoo only where
queue_job is: ``pip install ".[queue]"``). No ``odoo/__init__.py`` or
``odoo/addons/__init__.py`` is shipped.

Each addon ships the files whool ships in its own wheel (each addon's
``pyproject.toml``, OCA's way): the files under git control, its ``pyproject.toml``
left out; without git (an sdist, an exported tree) every file of the addon but
Python's caches. ``tests/test_packaging.py`` builds both ways and compares them.
"""

import ast
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
MAIN = "aircall_subscription_amendments"
BRIDGE = "aircall_subscription_amendments_queue"
ADDONS = (MAIN, BRIDGE)
#: whool leaves these out of an addon's wheel
NOT_SHIPPED = {"pyproject.toml", "PKG-INFO"}
MANIFEST = ast.literal_eval((HERE / MAIN / "__manifest__.py").read_text("utf-8"))


def _git_files(addon):
    """The addon's files under git control, relative to it; None without git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", addon],
            cwd=HERE,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return None
    files = [
        Path(name).relative_to(addon).as_posix() for name in out.split("\0") if name
    ]
    # tracked by an enclosing repository that ignores this copy: no answer
    return files if "__manifest__.py" in files else None


def _tree_files(addon):
    """Every file of the addon, relative to it, but Python's caches."""
    files = []
    for folder, dirs, names in os.walk(HERE / addon):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in names:
            if not name.endswith((".pyc", ".pyo")):
                path = Path(folder, name).relative_to(HERE / addon)
                files.append(path.as_posix())
    return files


def shipped_files(addon):
    """What the addon's wheel holds, relative to the addon's folder."""
    files = _git_files(addon)
    if files is None:
        files = _tree_files(addon)
    return sorted(
        name
        for name in files
        if name not in NOT_SHIPPED and (HERE / addon / name).is_file()
    )


def _layout():
    """packages, package_dir, package_data and the set of shipped files."""
    packages, package_dir, package_data, shipped = [], {}, {}, set()
    for addon in ADDONS:
        files = shipped_files(addon)
        shipped.update(f"{addon}/{name}" for name in files)
        # a folder with an __init__.py is a package; the rest are data files of the
        # nearest package above them (static/, i18n/, migrations/<version>/, ...)
        folders = sorted(
            {
                str(Path(name).parent)
                for name in files
                if Path(name).name == "__init__.py"
            }
        )
        for folder in folders:
            dotted = "" if folder == "." else "." + folder.replace("/", ".")
            package = f"odoo.addons.{addon}{dotted}"
            packages.append(package)
            package_dir[package] = addon if folder == "." else f"{addon}/{folder}"
            package_data[package] = []
        for name in files:
            path = Path(name)
            owner = next(parent for parent in path.parents if str(parent) in folders)
            dotted = "" if str(owner) == "." else "." + str(owner).replace("/", ".")
            relative = path.relative_to(owner).as_posix()
            if path.suffix == ".py" and path.parent == owner:
                continue  # a module of its package
            package_data[f"odoo.addons.{addon}{dotted}"].append(relative)
    return packages, package_dir, package_data, shipped


PACKAGES, PACKAGE_DIR, PACKAGE_DATA, SHIPPED = _layout()


class BuildPy(build_py):
    """Builds from scratch, and only the shipped modules.

    setuptools reuses ``build/lib``: a file removed from the addon would still be
    in the next wheel. And it takes every ``*.py`` of a package's folder, tracked or
    not.
    """

    def run(self):
        shutil.rmtree(Path(self.build_lib, "odoo"), ignore_errors=True)
        super().run()

    def find_package_modules(self, package, package_dir):
        return [
            module
            for module in super().find_package_modules(package, package_dir)
            if Path(module[2]).as_posix() in SHIPPED
        ]


setup(
    name="aircall-subscription-amendments",
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license_expression="AGPL-3.0-or-later",
    author=MANIFEST["author"],
    url=MANIFEST["website"],
    python_requires=">=3.10",
    # what whool's wheels require (the manifests' depends and external_dependencies)
    install_requires=[
        "odoo==18.0.*",
        "odoo-addon-subscription_oca==18.0.*",
        "python-dateutil",
    ],
    extras_require={"queue": ["odoo-addon-queue_job==18.0.*"]},
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data=PACKAGE_DATA,
    cmdclass={"build_py": BuildPy},
    zip_safe=False,
    classifiers=[
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "Programming Language :: Python :: 3",
        "Development Status :: 3 - Alpha",
    ],
)
