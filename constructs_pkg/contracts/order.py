"""Consumer-first release order, expressed as CloudFormation dependencies.

When a producer starts emitting a new format, every consumer must already read it. So
``add_producer`` makes the producer's release (its alias, or the function itself) depend
on the consumer's alias: CloudFormation finishes the consumer's CodeDeploy deployment
before it starts the producer's. The graph of these edges is kept per app so a cycle is
reported with a clear error instead of CloudFormation's "circular dependency".

The graph lives in the construct tree, as a child of the app (``ConstructsPkgReleaseOrder``,
created on first use, no resources): every ``App`` has its own, two apps in one process
never share edges, and nothing outlives the app.
"""

from __future__ import annotations

from constructs import Construct, IConstruct

from constructs_pkg.errors import ConfigurationError

__all__ = ["RELEASE_ORDER_ID", "ReleaseOrder"]

#: Construct id of the app's release order (a child of the root construct).
RELEASE_ORDER_ID = "ConstructsPkgReleaseOrder"


class ReleaseOrder(Construct):
    """The producer -> consumer edges of one app (by construct path).

    Use :meth:`of`; it creates the app's instance on first use.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.edges: dict[str, set[str]] = {}

    @classmethod
    def of(cls, scope: IConstruct) -> ReleaseOrder:
        """Return the release order of ``scope``'s app (the root of its construct tree)."""
        root = scope.node.root
        existing = root.node.try_find_child(RELEASE_ORDER_ID)
        if isinstance(existing, ReleaseOrder):
            return existing
        if existing is not None:
            raise ConfigurationError(
                "construct id",
                RELEASE_ORDER_ID,
                "an id not used by anything else at the root of the app",
                path=existing.node.path,
                reason="constructs_pkg keeps the app's release order under this id.",
            )
        if not isinstance(root, Construct):  # pragma: no cover - every root is a Construct
            raise TypeError(f"the root of {scope.node.path} is not a Construct")
        return cls(root, RELEASE_ORDER_ID)

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
