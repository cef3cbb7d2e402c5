"""FunctionFleet: one code artifact, many SafeFunctions, released together as one unit.

``fleet.py`` is the construct; ``placement.py`` puts members into nested stacks,
``release_alarm.py`` builds the release-wide rollback alarm, ``release_id.py`` finds the
release id, ``environment.py`` checks environments and secrets.
"""

from constructs_pkg.release.fleet.environment import Secrets
from constructs_pkg.release.fleet.fleet import FunctionFleet

__all__ = ["FunctionFleet", "Secrets"]
