"""Builders shared by the ordered-consumer tests: one App per module, synthesized once.

Where the consumer tests are:

* ``test_consumer_boundaries.py``: every way the arguments can be wrong (bounds on both
  sides, whole units, tokens reaching the template, rules between arguments), both classes;
* ``test_consumer_common.py``: what both do alike (shared options, consumer kinds, which
  alarms roll back, conflicts with an existing source);
* ``test_fifo_consumer.py`` / ``test_kinesis_consumer.py``: what each one builds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from aws_cdk.cx_api import SynthesisMessageLevel
from constructs import IConstruct

from constructs_pkg import (
    ConfigurationError,
    FifoOrderedConsumer,
    KinesisOrderedConsumer,
    SafeFunction,
)
from tests.cdk_helpers import function_kwargs, logical_id, new_app, new_stack

#: Both ordered consumers, for tests of what they share.
CONSUMER_CLASSES = (FifoOrderedConsumer, KinesisOrderedConsumer)
#: Timeout of every test consumer function (the FIFO visibility timeout must be at least this).
TIMEOUT_SECONDS = 20


class ConsumerApp:
    """The stacks of one test module in one App: build them all, then read templates.

    CDK synthesizes an App once; a stack added after the first template would be missing
    from it, so :meth:`stack` refuses once a template was read.
    """

    def __init__(self) -> None:
        self.app = new_app()
        self.stacks: dict[str, Stack] = {}
        self._templates: dict[str, Template] = {}
        self._resources: dict[str, dict[str, Any]] = {}
        #: Scenario name -> (consumer function, consumer), see :func:`build_scenarios`.
        self.built: dict[str, tuple[Any, Any]] = {}

    def stack(self, name: str) -> Stack:
        """Add a stack named ``name`` (before the first template is read)."""
        assert not self._templates, "build every stack before the first template is read"
        stack = self.stacks[name] = new_stack(self.app, name)
        return stack

    def template(self, name: str) -> Template:
        """The synthesized template of stack ``name``."""
        if name not in self._templates:
            self._templates[name] = Template.from_stack(self.stacks[name])
        return self._templates[name]

    def resources(self, name: str) -> dict[str, Any]:
        """Logical id -> resource of stack ``name`` (read from jsii once per stack)."""
        if name not in self._resources:
            self._resources[name] = self.template(name).to_json()["Resources"]
        return self._resources[name]

    def has_alarm(self, name: str, properties: Mapping[str, Any]) -> None:
        """Stack ``name`` has an alarm with (at least) these properties."""
        self.template(name).has_resource_properties("AWS::CloudWatch::Alarm", properties)

    def messages(self, name: str, level: str, pattern: str) -> list[Any]:
        """``level`` (``"warning"``, ``"info"``) messages of stack ``name`` matching ``pattern``.

        Read from the App's assembly: ``Annotations.from_stack`` would synthesize the whole
        App again for every call.
        """
        self.template(name)
        assembly = self.app.synth()  # the assembly the first template synthesized
        artifact = assembly.get_stack_artifact(self.stacks[name].artifact_id)
        return [
            message
            for message in artifact.messages
            if message.level == SynthesisMessageLevel(level.upper())
            and re.search(pattern, str(message.entry.data))
        ]

    def warnings(self, name: str, pattern: str) -> list[Any]:
        """Warnings of stack ``name`` whose text matches ``pattern``."""
        return self.messages(name, "warning", pattern)


def worker(
    stack: Stack, *, reserved: int | None = None, timeout: int = TIMEOUT_SECONDS, **kwargs: Any
) -> SafeFunction:
    """A SafeFunction consumer ``Worker`` with ``timeout`` seconds."""
    return SafeFunction(
        stack,
        "Worker",
        **function_kwargs(
            timeout=Duration.seconds(timeout), reserved_concurrent_executions=reserved
        ),
        **kwargs,
    )


def plain_alias(
    stack: Stack, construct_id: str = "Plain", *, reserved: int | None = None
) -> lambda_.Alias:
    """An alias ``live`` of a plain function (no CodeDeploy: many consumers share it cheaply)."""
    function = lambda_.Function(
        stack,
        construct_id,
        **function_kwargs(
            timeout=Duration.seconds(TIMEOUT_SECONDS), reserved_concurrent_executions=reserved
        ),
    )
    return lambda_.Alias(
        stack, f"{construct_id}Live", alias_name="live", version=function.current_version
    )


def assert_rejected(build: Callable[[Stack], object], message: str) -> None:
    """``build(stack)`` in a fresh stack (never synthesized) raises ``message``."""
    stack = new_stack()
    with pytest.raises(ConfigurationError, match=message):
        build(stack)


def number_parameter(stack: Stack, name: str = "Number") -> float:
    """A number token: a CloudFormation parameter of ``stack``."""
    return CfnParameter(stack, name, type="Number").value_as_number


@dataclass(frozen=True)
class Scenario:
    """One stack of a test module: a consumer built with ``arguments``.

    An argument given as a callable is called with the stack first (the queue or stream the
    consumer is given). ``released``: the consumer function is a SafeFunction (for its alias and
    rollback alarms); otherwise a plain alias, which synthesizes faster.
    """

    arguments: Mapping[str, Any] = field(default_factory=dict)
    reserved: int | None = None
    released: bool = False
    #: Called with the stack and the consumer once it is built (e.g. to grant a producer).
    then: Callable[[Stack, Any], object] | None = None


def build_scenarios(cls: type, scenarios: Mapping[str, Scenario]) -> ConsumerApp:
    """Each scenario in its own stack of one App (``app.built[name]``: function, consumer)."""
    app = ConsumerApp()
    for name, scenario in scenarios.items():
        stack = app.stack(name)
        make = worker if scenario.released else plain_alias
        function = make(stack, reserved=scenario.reserved)
        arguments = {
            key: value(stack) if callable(value) else value
            for key, value in scenario.arguments.items()
        }
        consumer = cls(stack, "Consumer", consumer=function, **arguments)
        if scenario.then is not None:
            scenario.then(stack, consumer)
        app.built[name] = (function, consumer)
    return app


def scenario_fixture(cls: type, scenarios: Mapping[str, Scenario]) -> Any:
    """A module-scoped fixture ``app``: ``scenarios`` of ``cls`` built in one App."""

    @pytest.fixture(scope="module")
    def app() -> ConsumerApp:
        return build_scenarios(cls, scenarios)

    return app


def queue_dimensions(queue: IConstruct) -> list[dict[str, Any]]:
    """The ``Dimensions`` of an SQS metric of ``queue``, as synthesized."""
    return [{"Name": "QueueName", "Value": {"Fn::GetAtt": [logical_id(queue), "QueueName"]}}]


def producer_role(stack: Stack) -> iam.Role:
    """A role ``Producer`` that Lambda can assume, to grant write access to."""
    return iam.Role(stack, "Producer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


def sqs_alarm(metric_name: str, statistic: str, threshold: float, queue: IConstruct) -> Any:
    """The properties of an alarm on an SQS metric of ``queue``, as synthesized."""
    return {
        "MetricName": metric_name,
        "Namespace": "AWS/SQS",
        "Statistic": statistic,
        "Threshold": threshold,
        "Dimensions": queue_dimensions(queue),
    }
