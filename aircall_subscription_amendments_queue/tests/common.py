"""queue_job's test helpers, importable on every Odoo 18.0 build.

queue_job's ``tests/common.py`` registers its patch in ``odoo.tests.common.SETATTR_SOURCES``,
which Odoo 18.0 nightlies before mid-2025 do not have: the import fails there. The registry only
whitelists ``_patch_method`` callers for a check those builds do not run, so an empty one is
what they would have had.
"""

from odoo.tests import common as odoo_common

if not hasattr(odoo_common, "SETATTR_SOURCES"):
    odoo_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import trap_jobs

__all__ = ["trap_jobs"]
