"""What every ordered consumer does alike: shared options, capacity, consumer kinds, which
alarms roll back, conflicts with an existing source."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match

from constructs_pkg import (
    ConfigurationError,
    FifoOrderedConsumer,
    KinesisOrderedConsumer,
    Rollout,
    SafeFunction,
)
from tests.cdk_helpers import function_kwargs, logical_id, new_stack
from tests.construct.consumer_helpers import (
    CONSUMER_CLASSES,
    TIMEOUT_SECONDS,
    ConsumerApp,
    number_parameter,
    plain_alias,
    worker,
)

_BY_CLASS = pytest.mark.parametrize("cls", CONSUMER_CLASSES, ids=lambda c: c.__name__)


#: Arguments, reserved concurrency, and the capacity report they give (20 s timeout).
CAPACITY: dict[type, tuple[dict[str, Any], int | None, dict[str, Any]]] = {
    FifoOrderedConsumer: (
        {"max_concurrency": 20, "record_duration": Duration.millis(250)},
        30,
        {
            "max_concurrent_invocations": 20,
            "concurrency_formula": "min(active message groups, max_concurrency 20)",
            "per_key_records_per_second": 4,
            "max_records_per_second": 80,
            "poison_stall_seconds": 5 * 120,  # 5 receives x the 120 s visibility timeout
        },
    ),
    KinesisOrderedConsumer: (
        {
            "shard_count": 4,
            "parallelization_factor": 2,
            "batch_size": 100,
            "retry_attempts": 5,
            "record_duration": Duration.millis(50),
        },
        None,
        {
            "max_concurrent_invocations": 8,
            "concurrency_formula": "4 shards x parallelization factor 2",
            "per_key_records_per_second": 20,
            "max_records_per_second": 160,
            # min(1 h, (5 + 1) x (ceil(log2 100) + 1 = 8) x 20 s = 960 s)
            "poison_stall_seconds": 960,
        },
    ),
}


@pytest.fixture(scope="module")
def app() -> ConsumerApp:
    """One stack per case, holding a consumer of each class (id: the class name)."""
    app = ConsumerApp()
    destroy, no_item_failures = app.stack("Destroy"), app.stack("NoItemFailures")
    rollouts, capacity = app.stack("Rollouts"), app.stack("Capacity")
    targets = {stack: plain_alias(stack) for stack in (destroy, no_item_failures)}
    canaried = worker(rollouts)
    at_once = SafeFunction(rollouts, "AtOnce", **function_kwargs(), rollout=Rollout.all_at_once())
    for cls in CONSUMER_CLASSES:
        name = cls.__name__
        cls(destroy, name, consumer=targets[destroy], removal_policy=RemovalPolicy.DESTROY)
        cls(
            no_item_failures,
            name,
            consumer=targets[no_item_failures],
            report_batch_item_failures=False,
        )
        cls(rollouts, f"{name}Canaried", consumer=canaried)
        cls(rollouts, f"{name}Direct", consumer=at_once)
        arguments, reserved, _ = CAPACITY[cls]
        target = plain_alias(capacity, f"{name}Function", reserved=reserved)
        cls(capacity, name, consumer=target, **arguments)
    return app


@pytest.fixture(scope="module")
def kinds() -> ConsumerApp:
    """Each class consuming a plain alias and a plain version, in an App of their own.

    No SafeFunction here, so no alias guard: its UnqualifiedInvoke rule reads a version target
    (``Join([Ref function, ":", GetAtt version.Version])``) as $LATEST.
    """
    app = ConsumerApp()
    stack = app.stack("Kinds")
    function = lambda_.Function(stack, "Plain", **function_kwargs())
    alias = lambda_.Alias(stack, "Live", alias_name="live", version=function.current_version)
    for cls in CONSUMER_CLASSES:
        cls(stack, f"{cls.__name__}ByAlias", consumer=alias)
        cls(stack, f"{cls.__name__}ByVersion", consumer=function.current_version)
    return app


def _built(app: ConsumerApp, stack: str, construct_id: str) -> Any:
    return app.stacks[stack].node.find_child(construct_id)


# --- shared options --------------------------------------------------------------------------


@_BY_CLASS
def test_removal_policy_applies_to_every_created_stateful_resource(app, cls):
    consumer = _built(app, "Destroy", cls.__name__)
    source = consumer.queue if cls is FifoOrderedConsumer else consumer.stream
    resources = app.resources("Destroy")
    for created in (source, consumer.dead_letter_queue):
        assert resources[logical_id(created)]["DeletionPolicy"] == "Delete"


@_BY_CLASS
def test_report_batch_item_failures_can_be_switched_off(app, cls):
    consumer = _built(app, "NoItemFailures", cls.__name__)
    mapping = app.resources("NoItemFailures")[logical_id(consumer.event_source_mapping)]
    assert "FunctionResponseTypes" not in mapping["Properties"]


@_BY_CLASS
def test_capacity_report(app, cls):
    _, _, expected = CAPACITY[cls]
    capacity = _built(app, "Capacity", cls.__name__).capacity
    assert {key: getattr(capacity, key) for key in expected} == expected
    infos = app.messages(
        "Capacity", "info", f"max concurrency {expected['max_concurrent_invocations']}"
    )
    assert [info.id for info in infos] == [f"/Capacity/{cls.__name__}"]


@_BY_CLASS
def test_record_duration_defaults_to_timeout_over_batch_size(cls):
    stack = new_stack()
    consumer = cls(stack, "Consumer", consumer=plain_alias(stack), batch_size=10)
    assert consumer.capacity.record_duration_seconds == TIMEOUT_SECONDS / 10


@_BY_CLASS
def test_record_duration_token_falls_back_to_the_default(cls):
    stack = new_stack()
    token = Duration.seconds(number_parameter(stack))
    consumer = cls(
        stack, "Consumer", consumer=plain_alias(stack), batch_size=10, record_duration=token
    )
    assert consumer.capacity.record_duration_seconds == TIMEOUT_SECONDS / 10


@_BY_CLASS
def test_an_unknown_keyword_is_a_type_error(cls):
    stack = new_stack()
    with pytest.raises(
        TypeError, match=rf"{cls.__name__}.__init__\(\) got an unexpected keyword argument 'bach'"
    ):
        cls(stack, "Consumer", consumer=plain_alias(stack), bach=10)


# --- the consumer ----------------------------------------------------------------------------


@_BY_CLASS
def test_alias_and_version_consumers_are_invoked_as_given(kinds, cls):
    by_alias = _built(kinds, "Kinds", f"{cls.__name__}ByAlias")
    by_version = _built(kinds, "Kinds", f"{cls.__name__}ByVersion")
    assert by_alias.consumer.safe_function is None
    assert by_version.consumer.timeout_seconds == 3  # Lambda's default timeout
    alias = _built(kinds, "Kinds", "Live")
    version = _built(kinds, "Kinds", "Plain").current_version
    resources = kinds.resources("Kinds")
    for consumer, target in ((by_alias, alias), (by_version, version)):
        mapping = resources[logical_id(consumer.event_source_mapping)]["Properties"]
        assert logical_id(target) in str(mapping["FunctionName"])


@_BY_CLASS
def test_unqualified_function_is_rejected_with_the_reason(cls):
    stack = new_stack()
    fn = lambda_.Function(stack, "Plain", **function_kwargs())
    with pytest.raises(
        ConfigurationError,
        match=r"\[TestStack/Consumer\] consumer='<Function TestStack/Plain>' is not allowed: "
        r"expected a SafeFunction, a lambda.IAlias or a lambda.IVersion. "
        r".*invokes \$LATEST and bypasses the alias",
    ):
        cls(stack, "Consumer", consumer=fn)


@_BY_CLASS
def test_gradual_rollout_warns_all_at_once_does_not(app, cls):
    warnings = app.warnings("Rollouts", "shifts gradually")
    ids = [w.id for w in warnings if w.id.startswith(f"/Rollouts/{cls.__name__}")]
    assert ids == [f"/Rollouts/{cls.__name__}Canaried"]


#: Each consumer's alarms in order, and those that roll its SafeFunction back.
ALARMS = {
    FifoOrderedConsumer: (["FailedMessages", "StuckGroup"], {"FailedMessages"}),
    KinesisOrderedConsumer: (["IteratorAge", "FailedRecords"], {"FailedRecords"}),
}


@_BY_CLASS
def test_failures_reaching_the_dead_letter_queue_roll_the_release_back(app, cls):
    consumer = _built(app, "Rollouts", f"{cls.__name__}Canaried")
    safe_function = _built(app, "Rollouts", "Worker")
    alarms, rollback = ALARMS[cls]
    assert [alarm.node.id for alarm in consumer.alarms] == alarms
    group = app.resources("Rollouts")[logical_id(safe_function.deployment_group)]
    attached = group["Properties"]["AlarmConfiguration"]["Alarms"]
    for alarm in consumer.alarms:
        assert (alarm in safe_function.rollback_alarms) == (alarm.node.id in rollback)
        assert ({"Name": {"Ref": logical_id(alarm)}} in attached) == (alarm.node.id in rollback)


def test_imported_function_version_warns_that_its_timeout_is_unknown():
    stack = new_stack()
    version = lambda_.Version.from_version_arn(
        stack, "Imported", "arn:aws:lambda:eu-west-1:123456789012:function:worker:3"
    )
    events = KinesisOrderedConsumer(stack, "Events", consumer=version)
    jobs = FifoOrderedConsumer(stack, "Jobs", consumer=version)
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("timeout cannot be read")
    )
    assert sorted(w.id for w in warnings) == ["/TestStack/Events", "/TestStack/Jobs"]
    assert events.consumer.timeout_seconds is None
    # the capacity report assumes the worst case, Lambda's 900 s maximum
    assert events.consumer.assumed_timeout_seconds == 900
    assert jobs.capacity.record_duration_seconds == 900 / 10
    no_role = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("without a role")
    )
    assert sorted(w.id for w in no_role) == [
        "/TestStack/Events",  # read the stream
        "/TestStack/Events",  # send to the failure queue
        "/TestStack/Jobs",
    ]


# --- existing sources ------------------------------------------------------------------------


def _imported_fifo_queue(stack: Any) -> sqs.IQueue:
    return sqs.Queue.from_queue_arn(
        stack, "Imported", "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
    )


def _l2_stream(stack: Any) -> kinesis.IStream:
    return kinesis.Stream(stack, "Mine")


@pytest.mark.parametrize(
    ("cls", "source", "make_source", "argument", "value"),
    [
        (FifoOrderedConsumer, "queue", _imported_fifo_queue, "queue_name", "x.fifo"),
        (FifoOrderedConsumer, "queue", _imported_fifo_queue, "max_receive_count", 5),
        (
            FifoOrderedConsumer,
            "queue",
            _imported_fifo_queue,
            "visibility_timeout",
            Duration.minutes(2),
        ),
        (FifoOrderedConsumer, "queue", _imported_fifo_queue, "content_based_deduplication", False),
        (FifoOrderedConsumer, "queue", _imported_fifo_queue, "high_throughput", True),
        (
            FifoOrderedConsumer,
            "queue",
            _imported_fifo_queue,
            "dead_letter_queue",
            lambda stack: sqs.Queue(stack, "Dlq", fifo=True),
        ),
        (KinesisOrderedConsumer, "stream", _l2_stream, "shard_count", 2),
        (KinesisOrderedConsumer, "stream", _l2_stream, "retention_period", Duration.hours(48)),
    ],
)
def test_created_source_settings_conflict_with_an_existing_source(
    cls, source, make_source, argument, value
):
    stack = new_stack()
    given = value(stack) if callable(value) else value
    with pytest.raises(
        ConfigurationError,
        match=rf"\[TestStack/Consumer\] {argument}=.* expected no value when {source}= is "
        rf"given\. {argument} configures the {source} this construct creates",
    ):
        cls(
            stack,
            "Consumer",
            consumer=plain_alias(stack),
            **{source: make_source(stack), argument: given},
        )
