"""The release-wide rollback alarm: any member's rollback alarm rolls back every member.

Each member stack holds composites of at most 100 of its members' alarms (closed before
the rule could pass 10,240 characters, counting a generated name at 255); one parent
composite under the fleet combines those parts by their fixed names. Every member's
deployment group names the parent by its fixed name too, so no nested stack consumes an
output of a stack that depends on it (no cycle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Token
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from constructs_pkg import limits
from constructs_pkg._lazy import lazy_string
from constructs_pkg.release.fleet.placement import MemberStack
from constructs_pkg.release.safe_function import SafeFunction

__all__ = ["ReleaseAlarm", "any_alarm"]

#: ``ALARM("")`` and `` OR `` around every child of a composite alarm rule.
_RULE_OVERHEAD = len('ALARM("")') + len(" OR ")


def any_alarm(names: Sequence[str]) -> str:
    """``ALARM("a") OR ALARM("b") ...``; ``FALSE`` when there is nothing to watch.

    Examples
    --------
    >>> any_alarm(["a", "b"]), any_alarm([])
    ('ALARM("a") OR ALARM("b")', 'FALSE')
    """
    if not names:
        return "FALSE"
    return " OR ".join(f'ALARM("{name}")' for name in names)


def _name_length(name: str) -> int:
    """Length of an alarm name in a rule; a generated (token) name may use the maximum."""
    if Token.is_unresolved(name):
        return limits.ALARM_NAME_MAX_LENGTH
    return len(name)


@dataclass
class _Chunk:
    """One composite alarm over up to 100 of a member stack's alarms."""

    name: str
    children: list[cloudwatch.IAlarm] = field(default_factory=list)
    rule_length: int = 0


class ReleaseAlarm:
    """The fleet's release-wide composite alarm (``ReleaseAlarm`` under the fleet).

    Parameters
    ----------
    fleet
        The FunctionFleet construct.
    name_prefix
        Unique prefix of every alarm name (the parent is ``<prefix>-release``).
    description
        Description of the parent alarm.
    """

    def __init__(self, fleet: Construct, *, name_prefix: str, description: str) -> None:
        self._fleet = fleet
        self._prefix = name_prefix
        #: The parent composite's fixed name; every member's rollback alarm.
        self.name = f"{name_prefix}-release"
        self._chunks: dict[tuple[int, int], list[_Chunk]] = {}
        #: The parent composite alarm.
        self.alarm = cloudwatch.CompositeAlarm(
            fleet,
            "ReleaseAlarm",
            composite_alarm_name=self.name,
            alarm_rule=cloudwatch.AlarmRule.from_string(lazy_string(self._rule)),
            alarm_description=description,
        )

    def join(self, member: SafeFunction, group: MemberStack) -> None:
        """Watch every rollback alarm of ``member``, and make this alarm one of them."""
        release = cloudwatch.Alarm.from_alarm_name(member, "ReleaseAlarm", self.name)

        def watch(alarm: cloudwatch.IAlarm) -> None:
            if alarm is not release:  # the parent must not watch itself
                self._watch(group, alarm)

        member.on_rollback_alarm(watch)
        member.add_rollback_alarm(release)

    def limit_errors(self) -> list[str]:
        """Check the parent's CloudWatch limits: children and rule length."""
        names = self._chunk_names()
        errors = []
        if len(names) > limits.COMPOSITE_MAX_CHILDREN:
            errors.append(
                f"{self._fleet.node.path}: the release alarm would combine {len(names)} composite "
                f"alarms; CloudWatch allows {limits.COMPOSITE_MAX_CHILDREN}. Split the fleet."
            )
        rule_length = sum(_RULE_OVERHEAD + len(name) for name in names)
        if rule_length > limits.COMPOSITE_MAX_RULE_LENGTH:
            errors.append(
                f"{self._fleet.node.path}: the release alarm rule would be {rule_length} "
                f"characters; CloudWatch allows {limits.COMPOSITE_MAX_RULE_LENGTH}. Use a shorter "
                "construct path or split the fleet."
            )
        return errors

    def _watch(self, group: MemberStack, alarm: cloudwatch.IAlarm) -> None:
        """Put a member's rollback alarm into a composite of its member stack."""
        length = _RULE_OVERHEAD + _name_length(alarm.alarm_name)
        chunks = self._chunks.setdefault((group.wave, group.bucket), [])
        chunk = chunks[-1] if chunks else None
        if (
            chunk is None
            or len(chunk.children) >= limits.COMPOSITE_MAX_CHILDREN
            or chunk.rule_length + length > limits.COMPOSITE_MAX_RULE_LENGTH
        ):
            chunk = self._new_chunk(group, len(chunks) + 1)
            chunks.append(chunk)
        chunk.children.append(alarm)
        chunk.rule_length += length

    def _new_chunk(self, group: MemberStack, index: int) -> _Chunk:
        """Open the next composite of ``group``; its rule lists its children at synth time."""
        chunk = _Chunk(f"{self._prefix}-w{group.wave}s{group.bucket:02d}-{index}")
        cloudwatch.CompositeAlarm(
            group.stack,
            f"ReleaseAlarms{index}",
            composite_alarm_name=chunk.name,
            alarm_rule=cloudwatch.AlarmRule.from_string(
                lazy_string(lambda: any_alarm([a.alarm_name for a in chunk.children]))
            ),
            alarm_description=(
                f"{self._fleet.node.path}: any rollback alarm of the members in this nested "
                f"stack (part {index}). Part of {self.name}."
            ),
        )
        return chunk

    def _chunk_names(self) -> list[str]:
        # Fixed names, not references: no nested-stack outputs, and a known rule length.
        return [chunk.name for chunks in self._chunks.values() for chunk in chunks]

    def _rule(self) -> str:
        return any_alarm(self._chunk_names())
