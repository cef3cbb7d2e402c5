"""Format-version contracts and consumer-first release order between functions."""

from constructs_pkg.contracts.order import ReleaseOrder, env_prefix_for

__all__ = ["ReleaseOrder", "env_prefix_for"]
