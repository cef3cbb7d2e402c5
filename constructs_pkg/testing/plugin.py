"""The pytest plugin: pytest loads it by itself (entry point ``pytest11``).

Installing ``constructs-pkg[testing]`` is enough: no ``pytest_plugins`` line, no conftest. The
module imports nothing but pytest, so every pytest run of a project that has constructs_pkg
installed stays as fast as before and works even without the ``testing`` extra; syrupy and the
CDK are imported when a test asks for :func:`cdk_snapshot`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion

__all__ = ["ENTRY_POINT_NAME", "cdk_snapshot"]

#: The plugin's name in pytest (``-p no:constructs_pkg.testing`` disables it). It is the module
#: that conftests used to list in ``pytest_plugins``, so such a line is now a no-op.
ENTRY_POINT_NAME = "constructs_pkg.testing"

_INSTALL_HINT = "pip install 'constructs-pkg[testing]'"


@pytest.fixture
def cdk_snapshot(request: pytest.FixtureRequest) -> SnapshotAssertion:
    """Syrupy's ``snapshot``, storing a stack's normalized template as one JSON file.

    ``assert stack == cdk_snapshot`` compares a ``Stack``, an ``assertions.Template`` or a
    template ``dict`` with ``__snapshots__/<test module>/<test name>.json`` after
    :func:`~constructs_pkg.testing.normalize_template` (``pytest --snapshot-update`` writes it).
    """
    try:
        snapshot: SnapshotAssertion | None = request.getfixturevalue("snapshot")
    except pytest.FixtureLookupError:  # syrupy is not installed, or -p no:syrupy
        snapshot = None
    if snapshot is None:
        pytest.fail(
            "cdk_snapshot needs syrupy's pytest plugin, which is not installed or is disabled "
            f"(-p no:syrupy): {_INSTALL_HINT}",
            pytrace=False,
        )
    from constructs_pkg.testing.snapshot import CdkTemplateExtension

    return snapshot.use_extension(CdkTemplateExtension)
