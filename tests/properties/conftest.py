"""Hypothesis profiles for the fault schedules.

``ci`` (the default, what ``make test`` runs): derandomized, so every run
tries the same 1,000+ schedules and a failure reproduces byte for byte, with
no example database left behind.  ``soak`` (``HYPOTHESIS_PROFILE=soak``, run
by ``make soak``): random schedules, twenty times as many and longer, to
hunt for what the fixed set misses.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

settings.register_profile("ci", derandomize=True, max_examples=1000, stateful_step_count=6, **_COMMON)
settings.register_profile("soak", max_examples=20000, stateful_step_count=20, **_COMMON)
settings.register_profile("dev", derandomize=True, max_examples=50, stateful_step_count=6, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
