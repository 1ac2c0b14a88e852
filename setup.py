"""Packaging: installs the addon as ``odoo.addons.aircall_subscription_amendments``.

A plain setuptools ``package_dir`` mapping: no ``odoo/__init__.py`` or
``odoo/addons/__init__.py`` is shipped, so the wheel lands in the ``odoo.addons``
namespace next to a pip-installed Odoo, with no addons-path edits.
"""

import ast
from pathlib import Path

from setuptools import find_packages, setup

ADDON = "aircall_subscription_amendments"
HERE = Path(__file__).parent
MANIFEST = ast.literal_eval((HERE / ADDON / "__manifest__.py").read_text())
NAMESPACE = f"odoo.addons.{ADDON}"

setup(
    name=f"odoo-addon-{ADDON}",
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    author=MANIFEST["author"],
    url=MANIFEST["website"],
    python_requires=">=3.10",
    install_requires=[
        "odoo==18.0.*",
        "odoo-addon-subscription-oca==18.0.*",
        "python-dateutil",
    ],
    package_dir={NAMESPACE: ADDON},
    packages=[NAMESPACE] + [f"{NAMESPACE}.{name}" for name in find_packages(ADDON)],
    package_data={
        NAMESPACE: [
            "*.md",
            "**/*.xml",
            "**/*.csv",
            "**/*.po",
            "**/*.pot",
            "**/*.md",
            "static/**/*",
            "migrations/*/*.py",
        ]
    },
    classifiers=[
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "License :: OSI Approved :: GNU Affero General Public License v3",
        "Programming Language :: Python :: 3",
    ],
)
