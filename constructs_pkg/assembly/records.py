"""The typed metadata records that constructs write into templates and tools read back.

A SafeFunction describes its release on its alias (``constructs_pkg:release``), a
FunctionFleet its members (``constructs_pkg:fleet-member``), an ordered consumer itself on
its event source mapping (``constructs_pkg:consumer``). Resource metadata does not change
what CloudFormation deploys. Both sides use the classes here: constructs call
:meth:`Record.to_metadata`, tools call :meth:`Record.from_metadata`, which rejects a
malformed record with :class:`RecordError` (a template is input, not a promise).
Standard library only.

Examples
--------
>>> record = ProducerRecord(producer="Shop/Orders", format_version=2)
>>> ProducerRecord.from_metadata(record.to_metadata()) == record
True
"""

from __future__ import annotations

import dataclasses
import math
import reprlib
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeVar, Union

from constructs_pkg._text import approx_duration

__all__ = [
    "CONSUMER_METADATA_KEY",
    "FLEET_METADATA_KEY",
    "RELEASE_METADATA_KEY",
    "ConsumerCapacity",
    "ConsumerRecord",
    "FleetMemberRecord",
    "ProducerRecord",
    "Record",
    "RecordError",
    "ReleaseRecord",
    "RolloutRecord",
]

#: On each SafeFunction's alias: how it is released.
RELEASE_METADATA_KEY: Final = "constructs_pkg:release"
#: On each FunctionFleet member's alias: its fleet, wave and release id.
FLEET_METADATA_KEY: Final = "constructs_pkg:fleet-member"
#: On each consumer's event source mapping: source, consumer, contract and capacity.
CONSUMER_METADATA_KEY: Final = "constructs_pkg:consumer"

_R = TypeVar("_R", bound="Record")


class RecordError(ValueError):
    """A metadata record in a template does not have the shape this version writes."""


@dataclass(frozen=True)
class Record:
    """Base of every record: JSON-ready output, checked input."""

    #: The metadata key a top-level record is written under ("" for nested records).
    key: ClassVar[str] = ""

    def to_metadata(self) -> dict[str, Any]:
        """Return the record as template metadata (tuples become lists, None is left out)."""
        return {
            f.name: _dump(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }

    @classmethod
    def from_metadata(cls: type[_R], data: Any, *, where: str = "") -> _R:
        """Rebuild a record from template metadata; raise :class:`RecordError` if malformed."""
        where = where or cls.__name__
        if not isinstance(data, dict):
            raise RecordError(f"{where}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = data.get(f.name)
            values[f.name] = _load(hints[f.name], raw, f"{where}.{f.name}")
        try:
            return cls(**values)
        except RecordError as exc:
            raise RecordError(f"{where}: {exc}") from None


def _dump(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_metadata()
    if isinstance(value, tuple | list):
        return [_dump(item) for item in value]
    return value


def _load(hint: Any, raw: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if raw is None and type(None) in options:
            return None
        (inner,) = [option for option in options if option is not type(None)]
        return _load(inner, raw, where)
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        if not isinstance(raw, list):
            raise RecordError(f"{where}: expected a list, got {_kind(raw)}")
        return tuple(_load(item_hint, item, f"{where}[{i}]") for i, item in enumerate(raw))
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_metadata(raw, where=where)
    if hint is bool:
        if not isinstance(raw, bool):
            raise RecordError(f"{where}: expected true or false, got {_kind(raw)}")
        return raw
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not _whole(raw):
            raise RecordError(f"{where}: expected a whole number, got {_kind(raw)}")
        return int(raw)
    if hint is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not _finite(raw):
            raise RecordError(f"{where}: expected a number, got {_kind(raw)}")
        return float(raw)
    if hint is str:
        if not isinstance(raw, str):
            raise RecordError(f"{where}: expected a string, got {_kind(raw)}")
        return raw
    raise TypeError(f"{where}: no loader for {hint!r}")  # pragma: no cover - a bug here


def _whole(value: float) -> bool:
    if isinstance(value, int):
        return True
    return math.isfinite(value) and value.is_integer()


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


def _kind(raw: Any) -> str:
    return "nothing" if raw is None else f"{type(raw).__name__} {reprlib.repr(raw)[:40]}"


# --- releases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RolloutRecord(Record):
    """A rollout as the plan shows it: kind, shape, words and timeline (minute, percent)."""

    kind: str
    percent: int
    interval_minutes: int
    description: str
    timeline: tuple[tuple[int, ...], ...]
    #: Minutes the deployment stays open after the last shift, alarms watched (0: none).
    bake_minutes: int = 0

    def __post_init__(self) -> None:
        for index, step in enumerate(self.timeline):
            if len(step) != 2:
                raise RecordError(
                    f"timeline[{index}]: expected [minute, percent], got {len(step)} numbers"
                )


@dataclass(frozen=True)
class ReleaseRecord(Record):
    """How one SafeFunction is released (``constructs_pkg:release`` on its alias)."""

    key: ClassVar[str] = RELEASE_METADATA_KEY

    path: str
    alias: str
    rollout: RolloutRecord
    hotfix: bool
    alarms: tuple[str, ...]
    alarm_window_minutes: int
    smoke_test: bool
    #: The recycle token of this release, if any (a new version with the same code).
    recycle: str | None = None


@dataclass(frozen=True)
class FleetMemberRecord(Record):
    """A FunctionFleet member (``constructs_pkg:fleet-member`` on its alias)."""

    key: ClassVar[str] = FLEET_METADATA_KEY

    path: str
    fleet: str
    wave: int
    release_id: str


# --- consumers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsumerCapacity(Record):
    """What an ordered consumer can do, computed from its configuration.

    Attributes
    ----------
    source
        ``"kinesis"`` or ``"sqs-fifo"``.
    max_concurrent_invocations
        Upper bound of concurrent invocations; None when it depends on the number of
        active message groups only (FIFO without ``max_concurrency``) or the shard count
        is unknown (an imported stream).
    concurrency_formula
        How the bound is computed, in words.
    record_duration_seconds
        The per-record processing time the throughput figures assume.
    per_key_records_per_second
        Throughput of one partition key / message group (they are processed in order).
    max_records_per_second
        Throughput of the whole consumer at ``max_concurrent_invocations``; None if unknown.
    poison_stall_seconds
        Worst-case time one key or group is blocked behind a record that always fails;
        None when unbounded.
    poison_stall_formula
        How the stall bound is computed, in words.
    """

    source: str
    max_concurrent_invocations: int | None
    concurrency_formula: str
    record_duration_seconds: float
    per_key_records_per_second: float
    max_records_per_second: float | None
    poison_stall_seconds: float | None
    poison_stall_formula: str

    def describe(self) -> str:
        """Say it in a few lines for humans (also emitted as an info annotation at synth)."""
        concurrency = (
            str(self.max_concurrent_invocations)
            if self.max_concurrent_invocations is not None
            else "unbounded by configuration"
        )
        total = (
            f"{self.max_records_per_second:g} records/s"
            if self.max_records_per_second is not None
            else "limited by the number of active keys"
        )
        return (
            f"{self.source} consumer capacity: max concurrency {concurrency} "
            f"({self.concurrency_formula}); per key {self.per_key_records_per_second:g} records/s "
            f"and in total {total} at {self.record_duration_seconds:g} s per record; a poison "
            f"record stalls its key for at most {approx_duration(self.poison_stall_seconds)} "
            f"({self.poison_stall_formula})."
        )


@dataclass(frozen=True)
class ProducerRecord(Record):
    """A producer wired with ``add_producer``, and the format version it writes."""

    producer: str
    format_version: int


@dataclass(frozen=True)
class ConsumerRecord(Record):
    """An ordered consumer (``constructs_pkg:consumer`` on its event source mapping)."""

    key: ClassVar[str] = CONSUMER_METADATA_KEY

    kind: str
    path: str
    consumer: str
    source: str
    accepted_format_versions: tuple[int, ...]
    producers: tuple[ProducerRecord, ...]
    capacity: ConsumerCapacity
