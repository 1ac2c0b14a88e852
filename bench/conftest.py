"""Benchmarks import the rules package as top-level ``rules``, like the pure tests."""

import sys
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parent.parent / "aircall_subscription_amendments"
if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))
