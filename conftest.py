"""Root conftest: loaded before pytest-odoo's ``pytest_cmdline_main``.

pytest-odoo's ``parse_config()`` resets Odoo's ``test_enable`` and then imports
``odoo.tests``, with no hook in between: Odoo then logs "Importing test
framework, avoid importing from business modules..." at ERROR level with a
stack trace, on every run. That one record is noise here (the tests do run in
test mode afterwards); this filter drops exactly it, and lets every other
record of that logger through.
"""

import logging


class _ImportingTestFrameworkFilter(logging.Filter):
    def filter(self, record):
        return not (
            record.levelno == logging.ERROR
            and record.getMessage().startswith("Importing test framework")
        )


logging.getLogger("odoo.tests.common").addFilter(_ImportingTestFrameworkFilter())
