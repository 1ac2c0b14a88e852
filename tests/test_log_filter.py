"""The root conftest.py drops pytest-odoo's "Importing test framework" error, only it."""

import importlib.util
import logging
from pathlib import Path

ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"


def _record(level, message):
    return logging.LogRecord("odoo.tests.common", level, __file__, 1, message, (), None)


def _filter():
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT_CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._ImportingTestFrameworkFilter()


def test_the_filter_is_installed_on_odoo_tests_logger():
    names = {
        type(installed).__name__
        for installed in logging.getLogger("odoo.tests.common").filters
    }
    assert "_ImportingTestFrameworkFilter" in names


def test_only_the_error_of_importing_the_test_framework_is_dropped():
    noise = (
        "Importing test framework, avoid importing from business modules and when "
        "not running in test mode"
    )
    keep = _filter().filter
    assert not keep(_record(logging.ERROR, noise))
    # the same words at another level, and other errors, stay visible
    assert keep(_record(logging.INFO, "Importing test framework"))
    assert keep(_record(logging.WARNING, noise))
    assert keep(_record(logging.ERROR, "Something else went wrong"))
