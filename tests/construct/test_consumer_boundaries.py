"""Every way an ordered consumer's arguments can be wrong, and both sides of every bound.

Four tables drive the suite:

* ``BOUNDS``: the lowest and highest accepted value of each argument reach the template, and
  the value just below / just above is a ConfigurationError naming the allowed range;
* ``WHOLE``: a whole value reaches the template, a fraction is an error;
* ``TOKENS``: an unresolved value is not checked and reaches the property untouched;
* ``RULES``: what is wrong only together (with the function, the queue, the stream or
  another argument), each with the error it raises.

Every accepted case is a consumer in one App (a stack per class), synthesized once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct

from constructs_pkg import ConfigurationError, FifoOrderedConsumer, KinesisOrderedConsumer
from constructs_pkg.assembly.records import ConsumerRecord
from tests.cdk_helpers import logical_id, new_stack
from tests.construct.consumer_helpers import (
    CONSUMER_CLASSES,
    ConsumerApp,
    number_parameter,
    plain_alias,
)

Fifo, Kinesis = FifoOrderedConsumer, KinesisOrderedConsumer
ConsumerClass = type[FifoOrderedConsumer] | type[KinesisOrderedConsumer]
Unit = Literal["count", "seconds", "hours"]


def _mapping(consumer: Any) -> IConstruct:
    return consumer.event_source_mapping  # type: ignore[no-any-return]


def _queue(consumer: Any) -> IConstruct:
    return consumer.queue  # type: ignore[no-any-return]


def _stream(consumer: Any) -> IConstruct:
    return consumer.stream  # type: ignore[no-any-return]


def _stuck_group_alarm(consumer: Any) -> IConstruct:
    (alarm,) = [a for a in consumer.alarms if a.node.id == "StuckGroup"]
    return alarm  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Where:
    """Where an argument lands: a resource of the consumer, a path in it, and its unit."""

    resource: Callable[[Any], IConstruct]
    path: tuple[str, ...]
    unit: Unit = "count"

    def read(self, resources: Mapping[str, Any], consumer: Any) -> Any:
        value = resources[logical_id(self.resource(consumer))]
        for key in self.path:
            value = value[key]
        return value

    def expected(self, given: Any) -> Any:
        if self.unit == "seconds":
            return given.to_seconds(integral=False)
        if self.unit == "hours":
            return given.to_hours()
        return given


BATCH_SIZE = Where(_mapping, ("Properties", "BatchSize"))
RECORD_DURATION = Where(
    _mapping, ("Metadata", ConsumerRecord.key, "capacity", "record_duration_seconds"), "seconds"
)
MAX_CONCURRENCY = Where(_mapping, ("Properties", "ScalingConfig", "MaximumConcurrency"))
MAX_RECEIVE_COUNT = Where(_queue, ("Properties", "RedrivePolicy", "maxReceiveCount"))
VISIBILITY_TIMEOUT = Where(_queue, ("Properties", "VisibilityTimeout"), "seconds")
STUCK_GROUP_THRESHOLD = Where(_stuck_group_alarm, ("Properties", "Threshold"), "seconds")
PARALLELIZATION_FACTOR = Where(_mapping, ("Properties", "ParallelizationFactor"))
RETRY_ATTEMPTS = Where(_mapping, ("Properties", "MaximumRetryAttempts"))
SHARD_COUNT = Where(_stream, ("Properties", "ShardCount"))
BATCHING_WINDOW = Where(_mapping, ("Properties", "MaximumBatchingWindowInSeconds"), "seconds")
TUMBLING_WINDOW = Where(_mapping, ("Properties", "TumblingWindowInSeconds"), "seconds")
RECORD_AGE = Where(_mapping, ("Properties", "MaximumRecordAgeInSeconds"), "seconds")
RETENTION = Where(_stream, ("Properties", "RetentionPeriodHours"), "hours")


@dataclass(frozen=True)
class Bound:
    """One row: an argument's accepted range; None where a side cannot be written.

    ``message`` is the expected ``allowed`` text, or (below, above) when they differ.
    """

    cls: ConsumerClass
    argument: str
    lowest: Any
    highest: Any
    below: Any
    above: Any
    message: str | tuple[str, str]
    where: Where
    extra: Mapping[str, Any] = field(default_factory=dict)

    def message_for(self, side: str) -> str:
        if isinstance(self.message, str):
            return self.message
        return self.message[0] if side == "below" else self.message[1]


BOUNDS = [
    Bound(Fifo, "batch_size", 1, 10, 0, 11, "a whole number from 1 to 10", BATCH_SIZE),
    Bound(
        Fifo,
        "max_concurrency",
        2,
        1000,
        1,
        1001,
        "a whole number from 2 to 1000",
        MAX_CONCURRENCY,
    ),
    Bound(
        Fifo,
        "max_receive_count",
        1,
        1000,
        0,
        1001,
        "a whole number from 1 to 1000",
        MAX_RECEIVE_COUNT,
    ),
    Bound(
        Fifo,
        "visibility_timeout",
        Duration.seconds(20),  # the function timeout
        Duration.hours(12),
        Duration.seconds(19),
        Duration.seconds(43_201),
        (
            r"at least the function timeout \(20 seconds\)",
            "a Duration from 0 seconds to 12 hours, in whole seconds",
        ),
        VISIBILITY_TIMEOUT,
    ),
    Bound(
        Fifo,
        "stuck_group_age",
        Duration.minutes(1),
        None,
        Duration.seconds(59),
        None,
        "a Duration of at least 1 minute, in whole seconds",
        STUCK_GROUP_THRESHOLD,
    ),
    Bound(
        Kinesis, "batch_size", 1, 10_000, 0, 10_001, "a whole number from 1 to 10000", BATCH_SIZE
    ),
    Bound(
        Kinesis,
        "parallelization_factor",
        1,
        10,
        0,
        11,
        "a whole number from 1 to 10",
        PARALLELIZATION_FACTOR,
    ),
    Bound(
        Kinesis,
        "retry_attempts",
        -1,
        10_000,
        -2,
        10_001,
        "a whole number from -1 to 10000",
        RETRY_ATTEMPTS,
    ),
    Bound(
        Kinesis,
        "shard_count",
        1,
        None,
        0,
        None,
        "a whole number of at least 1",
        SHARD_COUNT,
    ),
    Bound(
        Kinesis,
        "max_batching_window",
        Duration.seconds(0),
        Duration.minutes(5),
        None,
        Duration.seconds(301),
        "a Duration from 0 seconds to 5 minutes, in whole seconds",
        BATCHING_WINDOW,
    ),
    Bound(
        Kinesis,
        "tumbling_window",
        Duration.seconds(0),
        Duration.minutes(15),
        None,
        Duration.seconds(901),
        "a Duration from 0 seconds to 15 minutes, in whole seconds",
        TUMBLING_WINDOW,
    ),
    Bound(
        Kinesis,
        "max_record_age",
        Duration.minutes(1),
        Duration.days(7),
        Duration.seconds(59),
        Duration.seconds(604_801),
        "a Duration from 1 minute to 7 days, in whole seconds",
        RECORD_AGE,
        extra={"retention_period": Duration.days(7)},  # 7 days of age need 7 days of retention
    ),
    Bound(
        Kinesis,
        "retention_period",
        Duration.hours(24),
        Duration.days(365),
        Duration.hours(23),
        Duration.days(366),
        "a Duration from 1 day to 365 days, in whole hours",
        RETENTION,
    ),
    *(
        Bound(
            cls,
            "record_duration",
            Duration.millis(1),
            Duration.minutes(15),
            Duration.millis(0),
            Duration.millis(900_001),
            "a Duration from 1 millisecond to 15 minutes",
            RECORD_DURATION,
        )
        for cls in CONSUMER_CLASSES
    ),
]


@dataclass(frozen=True)
class Whole:
    """One row: a whole value is accepted (and reaches ``where``), a fraction is not."""

    cls: ConsumerClass
    argument: str
    whole: Any
    fraction: Any
    message: str
    where: Where


_IN_WHOLE_SECONDS = r".*, in whole seconds"
WHOLE = [
    Whole(Fifo, "batch_size", 7, 2.5, "a whole number from 1 to 10", BATCH_SIZE),
    Whole(
        Fifo,
        "visibility_timeout",
        Duration.seconds(121),
        Duration.millis(120_500),
        _IN_WHOLE_SECONDS,
        VISIBILITY_TIMEOUT,
    ),
    Whole(
        Fifo,
        "stuck_group_age",
        Duration.seconds(61),
        Duration.millis(60_500),
        _IN_WHOLE_SECONDS,
        STUCK_GROUP_THRESHOLD,
    ),
    Whole(Kinesis, "batch_size", 7, 2.5, "a whole number from 1 to 10000", BATCH_SIZE),
    Whole(
        Kinesis,
        "max_record_age",
        Duration.seconds(61),
        Duration.millis(60_500),
        _IN_WHOLE_SECONDS,
        RECORD_AGE,
    ),
    Whole(
        Kinesis,
        "max_batching_window",
        Duration.seconds(1),
        Duration.millis(500),
        _IN_WHOLE_SECONDS,
        BATCHING_WINDOW,
    ),
    Whole(
        Kinesis,
        "tumbling_window",
        Duration.seconds(2),
        Duration.millis(1500),
        _IN_WHOLE_SECONDS,
        TUMBLING_WINDOW,
    ),
    Whole(
        Kinesis,
        "retention_period",
        Duration.hours(25),
        Duration.minutes(24 * 60 + 30),
        r".*, in whole hours",
        RETENTION,
    ),
]


@dataclass(frozen=True)
class TokenCase:
    """One row: ``wrap(number token)`` is passed as ``argument``; ``where`` holds the token."""

    cls: ConsumerClass
    argument: str
    wrap: Callable[[float], Any]
    where: Where


def _number(token: float) -> float:
    return token


TOKENS = [
    TokenCase(Fifo, "batch_size", _number, BATCH_SIZE),
    TokenCase(Fifo, "max_concurrency", _number, MAX_CONCURRENCY),
    TokenCase(Fifo, "max_receive_count", _number, MAX_RECEIVE_COUNT),
    TokenCase(Fifo, "visibility_timeout", Duration.seconds, VISIBILITY_TIMEOUT),
    TokenCase(Fifo, "stuck_group_age", Duration.seconds, STUCK_GROUP_THRESHOLD),
    TokenCase(Kinesis, "batch_size", _number, BATCH_SIZE),
    TokenCase(Kinesis, "parallelization_factor", _number, PARALLELIZATION_FACTOR),
    TokenCase(Kinesis, "retry_attempts", _number, RETRY_ATTEMPTS),
    TokenCase(Kinesis, "shard_count", _number, SHARD_COUNT),
    TokenCase(Kinesis, "max_batching_window", Duration.seconds, BATCHING_WINDOW),
    TokenCase(Kinesis, "tumbling_window", Duration.seconds, TUMBLING_WINDOW),
    TokenCase(Kinesis, "retention_period", Duration.hours, RETENTION),
]


@dataclass(frozen=True)
class Accepted:
    """A consumer built with one accepted value (plus ``extra``), and where it must show."""

    case_id: str
    cls: ConsumerClass
    argument: str
    value: Any
    where: Where
    extra: Mapping[str, Any] = field(default_factory=dict)


def _accepted() -> Iterator[Accepted]:
    for bound in BOUNDS:
        for side in ("lowest", "highest"):
            value = getattr(bound, side)
            if value is not None:
                case_id = f"{bound.cls.__name__}-{bound.argument}-{side}"
                yield Accepted(case_id, bound.cls, bound.argument, value, bound.where, bound.extra)
    for row in WHOLE:
        case_id = f"{row.cls.__name__}-{row.argument}-whole"
        yield Accepted(case_id, row.cls, row.argument, row.whole, row.where)


ACCEPTED = list(_accepted())


@pytest.fixture(scope="module")
def built() -> tuple[ConsumerApp, dict[str, tuple[Any, Any]]]:
    """Every accepted case and every token case in one App; id -> (consumer, expected)."""
    app = ConsumerApp()
    targets: dict[ConsumerClass, Any] = {
        cls: plain_alias(app.stack(cls.__name__)) for cls in CONSUMER_CLASSES
    }
    cases: dict[str, tuple[Any, Any]] = {}
    for index, case in enumerate(ACCEPTED):
        stack = app.stacks[case.cls.__name__]
        consumer = case.cls(
            stack,
            f"Case{index}",
            consumer=targets[case.cls],
            **{case.argument: case.value, **case.extra},
        )
        cases[case.case_id] = (consumer, case.where.expected(case.value))
    for index, token_case in enumerate(TOKENS):
        stack = app.stacks[token_case.cls.__name__]
        token = CfnParameter(stack, f"Param{index}", type="Number").value_as_number
        consumer = token_case.cls(
            stack,
            f"Token{index}",
            consumer=targets[token_case.cls],
            **{token_case.argument: token_case.wrap(token)},
        )
        cases[_token_id(token_case)] = (consumer, stack.resolve(token))
    return app, cases


def _token_id(case: TokenCase) -> str:
    return f"{case.cls.__name__}-{case.argument}-token"


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.case_id for c in ACCEPTED])
def test_accepted_value_reaches_the_template(built, case):
    app, cases = built
    consumer, expected = cases[case.case_id]
    assert case.where.read(app.resources(case.cls.__name__), consumer) == expected


@pytest.mark.parametrize("case", TOKENS, ids=[_token_id(c) for c in TOKENS])
def test_token_reaches_the_property_untouched(built, case):
    app, cases = built
    consumer, resolved_token = cases[_token_id(case)]
    assert resolved_token == {"Ref": resolved_token["Ref"]}  # a parameter reference
    assert case.where.read(app.resources(case.cls.__name__), consumer) == resolved_token


def _rejected() -> Iterator[Any]:
    for bound in BOUNDS:
        for side in ("below", "above"):
            value = getattr(bound, side)
            if value is not None:
                yield pytest.param(
                    bound.cls,
                    {bound.argument: value, **bound.extra},
                    bound.argument,
                    bound.message_for(side),
                    id=f"{bound.cls.__name__}-{bound.argument}-{side}",
                )
    for row in WHOLE:
        yield pytest.param(
            row.cls,
            {row.argument: row.fraction},
            row.argument,
            row.message,
            id=f"{row.cls.__name__}-{row.argument}-fraction",
        )


@pytest.mark.parametrize(("cls", "arguments", "argument", "allowed"), list(_rejected()))
def test_value_outside_the_bounds_is_an_error(cls, arguments, argument, allowed):
    stack = new_stack()
    with pytest.raises(
        ConfigurationError,
        match=rf"\[TestStack/Consumer\] {argument}=.* is not allowed: expected {allowed}",
    ):
        cls(stack, "Consumer", consumer=plain_alias(stack), **arguments)


def test_every_bounded_argument_has_a_token_case():
    bounded = {(b.cls, b.argument) for b in BOUNDS if b.where is not RECORD_DURATION}
    # record_duration reaches no property (a token: the report assumes the default, see
    # test_consumer_common). max_record_age: CDK itself rejects a token ("maxRecordAge must
    # be between 60 seconds and 7 days"), so none can reach the template.
    assert bounded - {(t.cls, t.argument) for t in TOKENS} == {(Kinesis, "max_record_age")}


# --- rules between arguments -----------------------------------------------------------------


def _fifo_queue(
    stack: Stack, *, visibility: Duration | None = None, dlq_fifo: bool = True
) -> sqs.Queue:
    """An L2 FIFO queue with a dead-letter queue, as a user would bring it."""
    dlq = sqs.Queue(stack, "Dlq", fifo=True if dlq_fifo else None)
    return sqs.Queue(
        stack,
        "Mine",
        fifo=True,
        visibility_timeout=visibility,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5),
    )


@dataclass(frozen=True)
class Rule:
    """One row: the arguments (built in a fresh stack) break a rule; ``message`` says which."""

    cls: ConsumerClass
    case_id: str
    arguments: Callable[[Stack], Mapping[str, Any]]
    message: str
    #: Reserved concurrency of the consumer function.
    reserved: int | None = None


def _given(argument: str, value: Any) -> Callable[[Stack], Mapping[str, Any]]:
    return lambda _stack: {argument: value}


_QUEUE_NAME = r"queue_name=.* expected 1-75 letters, digits, '-' or '_' followed by '.fifo'"
_NO_WINDOW = r"max_batching_window=.* is not allowed: expected no batching window"
RULES = [
    Rule(
        Fifo,
        "existing-queue-visibility-below-timeout",
        lambda s: {"queue": _fifo_queue(s, visibility=Duration.seconds(19))},
        r"visibility_timeout=<19 seconds> is not allowed: "
        r"expected at least the function timeout \(20 seconds\)",
    ),
    Rule(
        Fifo,
        "standard-queue",
        lambda s: {"queue": sqs.Queue(s, "Standard")},
        r"queue='TestStack/Standard' is not allowed: expected a FIFO queue",
    ),
    Rule(
        Fifo,
        "queue-without-dlq",
        lambda s: {"queue": sqs.Queue(s, "Mine", fifo=True)},
        r"queue='TestStack/Mine' is not allowed: expected a queue with a FIFO dead-letter queue",
    ),
    Rule(
        Fifo,
        "queue-with-standard-dlq",
        lambda s: {"queue": _fifo_queue(s, dlq_fifo=False)},
        r"queue='TestStack/Mine' is not allowed: expected a queue whose dead-letter queue is FIFO",
    ),
    Rule(
        Fifo,
        "standard-dead-letter-queue",
        lambda s: {"dead_letter_queue": sqs.Queue(s, "StdDlq")},
        r"dead_letter_queue='TestStack/StdDlq' is not allowed: expected a FIFO queue",
    ),
    Rule(
        Fifo,
        "max-concurrency-above-reserved",
        lambda s: {"max_concurrency": 21},
        r"max_concurrency=21 is not allowed: "
        r"expected at most the function's reserved concurrency \(20\)",
        reserved=20,
    ),
    Rule(
        Fifo, "batching-window", lambda s: {"max_batching_window": Duration.seconds(1)}, _NO_WINDOW
    ),
    Rule(
        Fifo,
        "batching-window-token",
        lambda s: {"max_batching_window": Duration.seconds(number_parameter(s))},
        _NO_WINDOW,
    ),
    *(
        Rule(Fifo, f"queue-name-{i}", _given("queue_name", name), _QUEUE_NAME)
        for i, name in enumerate(
            ["jobs", "jobs.FIFO", "a" * 76 + ".fifo", "has space.fifo", ".fifo", "jobs.fifo\n"]
        )
    ),
    *(
        Rule(
            cls,
            f"{argument}-none",
            _given(argument, None),
            rf"{argument}=None .* expected {allowed}",
        )
        for cls, argument, allowed in (
            (Fifo, "batch_size", "a whole number from 1 to 10"),
            (Kinesis, "batch_size", "a whole number from 1 to 10000"),
            (Kinesis, "parallelization_factor", "a whole number from 1 to 10"),
            (Kinesis, "retry_attempts", "a whole number from -1 to 10000"),
        )
    ),
    Rule(
        Kinesis,
        "age-above-existing-stream-retention",
        lambda s: {
            "stream": kinesis.Stream(s, "Mine", retention_period=Duration.hours(48)),
            "max_record_age": Duration.hours(49),
        },
        r"max_record_age=<2 days 1 hour> is not allowed: "
        r"expected at most the stream retention \(48 hours\)",
    ),
    Rule(
        Kinesis,
        "age-above-default-retention",
        lambda s: {"max_record_age": Duration.days(7)},
        r"max_record_age=<7 days> is not allowed: "
        r"expected at most the stream retention \(24 hours\)",
    ),
    Rule(
        Kinesis,
        "retries-and-age-unbounded",
        lambda s: {"retry_attempts": -1, "max_record_age": None},
        r"retry_attempts=-1 is not allowed: "
        r"expected a finite number .* when max_record_age is None",
    ),
    Rule(
        Kinesis,
        "at-timestamp",
        lambda s: {"starting_position": lambda_.StartingPosition.AT_TIMESTAMP},
        r"starting_position=.* expected TRIM_HORIZON or LATEST",
    ),
    Rule(
        Kinesis,
        "fifo-failure-destination",
        lambda s: {"dead_letter_queue": sqs.Queue(s, "Failures", fifo=True)},
        r"dead_letter_queue='TestStack/Failures' is not allowed: expected a standard SQS queue",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.cls.__name__}-{r.case_id}" for r in RULES])
def test_rule_is_enforced(rule):
    stack = new_stack()
    consumer = plain_alias(stack, reserved=rule.reserved)
    with pytest.raises(ConfigurationError, match=rf"\[TestStack/Consumer\] {rule.message}"):
        rule.cls(stack, "Consumer", consumer=consumer, **rule.arguments(stack))
