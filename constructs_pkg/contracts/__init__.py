"""Format-version contracts and consumer-first release order between functions."""

from constructs_pkg.contracts.order import ReleaseOrder

__all__ = ["ReleaseOrder"]
