"""Where a fleet member lives: one nested stack per wave and name bucket, stable by hash.

A member goes to nested stack ``Wave<k>Stack<crc32(name) % stacks_per_wave>``, so adding or
removing a member never moves another one. Each wave's stacks depend on every earlier
wave's, so CloudFormation finishes the earlier waves' CodeDeploy deployments first.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import CfnOutput, CfnParameter, CfnResource, NestedStack, Stack
from constructs import Construct

from constructs_pkg import limits

__all__ = ["MemberStack", "Placement", "bucket_of"]


def bucket_of(name: str, buckets: int) -> int:
    """Return the bucket of member ``name``: a CRC32 of the name, never of other members.

    Examples
    --------
    >>> bucket_of("Api", 50) == bucket_of("Api", 50)
    True
    """
    return zlib.crc32(name.encode()) % buckets


@dataclass(frozen=True)
class MemberStack:
    """A nested stack holding the members of one wave whose names hash to one bucket."""

    stack: NestedStack
    wave: int
    bucket: int


class Placement:
    """The fleet's member stacks, created on first use.

    Parameters
    ----------
    fleet
        The construct the nested stacks are created under.
    stacks_per_wave
        Buckets per wave.
    describe
        ``describe(wave, bucket)`` gives a nested stack's description.
    on_new_stack
        Called with every nested stack once it exists (the release alarm depends on it).
    """

    def __init__(
        self,
        fleet: Construct,
        *,
        stacks_per_wave: int,
        describe: Callable[[int, int], str],
        on_new_stack: Callable[[NestedStack], None],
    ) -> None:
        self._fleet = fleet
        self.stacks_per_wave = stacks_per_wave
        self._describe = describe
        self._on_new_stack = on_new_stack
        self._stacks: dict[tuple[int, int], MemberStack] = {}

    @property
    def stacks(self) -> list[MemberStack]:
        """Every member stack, in the order created."""
        return list(self._stacks.values())

    def stack_for(self, wave: int, name: str) -> MemberStack:
        """Return the nested stack of ``name`` in ``wave`` (a stable hash: others never move it)."""
        bucket = bucket_of(name, self.stacks_per_wave)
        group = self._stacks.get((wave, bucket))
        if group is not None:
            return group
        nested = NestedStack(
            self._fleet, f"Wave{wave}Stack{bucket:02d}", description=self._describe(wave, bucket)
        )
        for (other_wave, _), other in self._stacks.items():
            if other_wave < wave:
                nested.add_stack_dependency(
                    other.stack, reason=f"wave {wave} follows wave {other_wave}"
                )
            elif other_wave > wave:
                other.stack.add_stack_dependency(
                    nested, reason=f"wave {other_wave} follows wave {wave}"
                )
        self._on_new_stack(nested)
        group = MemberStack(nested, wave, bucket)
        self._stacks[(wave, bucket)] = group
        return group

    def limit_errors(self) -> list[str]:
        """CloudFormation limits of every member stack (they hold no deeper nested stack)."""
        return [error for group in self.stacks for error in self._stack_errors(group.stack)]

    def _stack_errors(self, stack: Stack) -> list[str]:
        resources = parameters = outputs = 0
        for construct in stack.node.find_all():
            if isinstance(construct, CfnResource):
                resources += 1
            elif isinstance(construct, CfnParameter):
                parameters += 1
            elif isinstance(construct, CfnOutput):
                outputs += 1
        errors = []
        for what, count, limit in (
            ("resources", resources, limits.CFN_MAX_RESOURCES),
            ("parameters", parameters, limits.CFN_MAX_PARAMETERS),
            ("outputs", outputs, limits.CFN_MAX_OUTPUTS),
        ):
            if count > limit:
                errors.append(
                    f"{stack.node.path}: {count} {what}; CloudFormation allows {limit} per stack. "
                    f"Raise stacks_per_wave (now {self.stacks_per_wave}) to spread the members "
                    "over more nested stacks."
                )
        return errors
