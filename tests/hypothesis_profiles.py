"""Hypothesis profiles: short and fixed-seed for ``make test``, long for ``make fuzz``.

``CONSTRUCTS_PKG_HYPOTHESIS_PROFILE`` selects one: ``ci`` (the default: a fixed seed,
so a failure reproduces on every run, and few examples, so the suite stays fast) or
``fuzz`` (random seeds, many examples). Imported by ``tests/conftest.py``.
"""

from __future__ import annotations

import os

from hypothesis import settings

#: Selects the hypothesis profile.
PROFILE_ENV = "CONSTRUCTS_PKG_HYPOTHESIS_PROFILE"

settings.register_profile(
    "ci", max_examples=40, derandomize=True, deadline=None, database=None, print_blob=True
)
settings.register_profile("fuzz", max_examples=2500, deadline=None, database=None, print_blob=True)
settings.load_profile(os.environ.get(PROFILE_ENV, "ci"))


def scaled(share: float) -> settings:
    """Settings with a share of the profile's examples, for tests whose examples are slow."""
    current = settings.get_profile(os.environ.get(PROFILE_ENV, "ci"))
    return settings(max_examples=max(5, int(current.max_examples * share)))
