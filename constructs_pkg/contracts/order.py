"""Consumer-first release order, expressed as CloudFormation dependencies.

When a producer starts emitting a new format, every consumer must already read it. So
``add_producer`` makes the producer's release (its alias, or the function itself) depend
on the consumer's alias: CloudFormation finishes the consumer's CodeDeploy deployment
before it starts the producer's. The graph of these edges is kept per app so a cycle is
reported with a clear error instead of CloudFormation's "circular dependency".
"""

from __future__ import annotations

from typing import ClassVar

from constructs import IConstruct

from constructs_pkg.errors import ConfigurationError

__all__ = ["ReleaseOrder"]


class ReleaseOrder:
    """The producer -> consumer edges of one app (by construct path)."""

    _apps: ClassVar[dict[str, ReleaseOrder]] = {}

    def __init__(self) -> None:
        self.edges: dict[str, set[str]] = {}

    @classmethod
    def of(cls, scope: IConstruct) -> ReleaseOrder:
        """Return the release order of ``scope``'s app."""
        key = scope.node.root.node.addr
        if key not in cls._apps:
            cls._apps[key] = cls()
        return cls._apps[key]

    def add(self, producer: str, consumer: str, *, path: str) -> None:
        """Record that ``producer`` is released after ``consumer``; reject a cycle."""
        if producer == consumer:
            return
        cycle = self._path(consumer, producer)
        if cycle is not None:
            loop = " -> ".join([producer, *cycle])
            raise ConfigurationError(
                "add_producer",
                producer,
                f"a producer that is not itself (transitively) a consumer of {consumer}",
                path=path,
                reason=f"Consumers are released before their producers, and this would make a "
                f"cycle: {loop} (each arrow: 'is released after'). Split a function or drop one "
                "edge.",
            )
        self.edges.setdefault(producer, set()).add(consumer)

    def _path(self, start: str, goal: str) -> list[str] | None:
        """Return a path start -> ... -> goal along 'released after' edges, if any."""
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == goal:
                return path
            if node in seen:
                continue
            seen.add(node)
            for nxt in sorted(self.edges.get(node, ())):
                stack.append((nxt, [*path, nxt]))
        return None
