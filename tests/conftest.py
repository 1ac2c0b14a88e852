"""Pure test tier: import the rules package as top-level ``rules``, Odoo absent."""

import sys
from pathlib import Path

from hypothesis import settings

ADDON_DIR = Path(__file__).resolve().parent.parent / "aircall_subscription_amendments"
if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))

# No per-example deadline: timings vary on shared machines.
settings.register_profile("rules", deadline=None)
settings.load_profile("rules")
