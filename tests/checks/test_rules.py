"""Every deployment-safety rule fires on the counter-example and stays quiet on safe input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

from constructs_pkg import FifoOrderedConsumer, KinesisOrderedConsumer, SafeFunction
from constructs_pkg.checks import RULES, DeploymentSafetyChecks
from constructs_pkg.testing import assert_no_safety_findings
from sample_app.app import add_checks, build
from tests.cdk_helpers import TEST_ENV, function_kwargs, new_app
from tests.checks import counter_example

ALL_RULES = sorted(rule.id for rule in RULES)


@pytest.fixture(scope="module")
def counter_report():
    app = new_app()
    counter_example.build(app)
    return DeploymentSafetyChecks().validate_scope(app)


def test_counter_example_trips_every_rule(counter_report):
    assert counter_report.rule_ids == ALL_RULES


def test_findings_name_the_construct_and_say_what_to_change(counter_report):
    unqualified = [f for f in counter_report.findings if f.rule_id == "UnqualifiedInvoke"]
    assert {f.construct_path for f in unqualified} == {
        "Unsafe/Worker/SqsEventSource:UnsafeJobs92407CA4/Resource",
        "Unsafe/Worker/AllowInvoke:UnsafeEventsF41AE401",
        "Unsafe/Worker/Events/Resource",
    }
    assert all("Pass the SafeFunction itself" in f.fix for f in unqualified)
    assert all(f.acknowledgment_id == "DeploymentSafety::UnqualifiedInvoke" for f in unqualified)


def test_sample_app_has_no_findings_from_either_pack(sample_stacks):
    app = sample_stacks[0].node.root
    report = assert_no_safety_findings(app)
    assert report.success
    assert AwsSolutionsChecks(app).validate_scope(app).violations == []


def test_rule_ids_are_unique_and_documented():
    from tests.cdk_helpers import ROOT

    page = (ROOT / "docs" / "safety-checks.md").read_text()
    assert len(ALL_RULES) == len(set(ALL_RULES))
    for rule in RULES:
        assert f"`{rule.id}`" in page, f"{rule.id} is not documented"


# --- through cdk synth (the validation plugin) ----------------------------------------------


def test_plugin_fails_the_synth_of_the_counter_example():
    app = new_app()
    counter_example.build(app)
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_plugin_passes_the_sample_app_with_cdk_nag():
    """What ``make synth`` runs: both packs registered, no violation in the validation report.

    (A failing pack raises in synth and lists its violations in the report; the counter-example
    test above shows the safety pack does.)
    """
    app = new_app()
    build(app)
    add_checks(app)
    assembly = app.synth()
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    assert report["pluginReports"] == []
    assert [s.stack_name for s in assembly.stacks] == ["OrderService"]


def test_acknowledgment_silences_one_finding_in_both_paths():
    def acknowledged_app():
        app = new_app()
        stack = counter_example.build(app)
        Validations.of(stack).acknowledge(
            *[
                Acknowledgment(id=f"DeploymentSafety::{rule}", reason="counter-example")
                for rule in ALL_RULES
            ]
        )
        return app

    report = DeploymentSafetyChecks().validate_scope(acknowledged_app())
    assert report.findings == ()
    assert {f.rule_id for f in report.acknowledged} == set(ALL_RULES)
    app = acknowledged_app()
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    app.synth()  # nothing left to fail on


def test_assert_helper_lists_findings():
    app = new_app()
    counter_example.build(app)
    with pytest.raises(
        AssertionError, match=r"\d+ deployment-safety finding\(s\):\n  \[error\] UnqualifiedInvoke"
    ):
        assert_no_safety_findings(app)


# --- both sides of the boundaries -----------------------------------------------------------


def _stack():
    return Stack(new_app(), "S", env=TEST_ENV)


def _rules(scope, **options):
    return DeploymentSafetyChecks(**options).validate_scope(scope).rule_ids


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        (9, ["VisibilityBelowTimeout"]),
        (10, ["VisibilityBelowSixTimes"]),
        (59, ["VisibilityBelowSixTimes"]),
        (60, []),
    ],
)
def test_visibility_boundaries(visibility, expected):
    stack = _stack()
    fn = SafeFunction(stack, "Fn", **function_kwargs(timeout=Duration.seconds(10)))
    queue = sqs.Queue(
        stack,
        "Q",
        visibility_timeout=Duration.seconds(visibility),
        removal_policy=RemovalPolicy.RETAIN,
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=sqs.Queue(stack, "Dlq", removal_policy=RemovalPolicy.RETAIN), max_receive_count=5
        ),
    )
    fn.alias.add_event_source(sources.SqsEventSource(queue, report_batch_item_failures=True))
    assert _rules(stack) == expected


@pytest.mark.parametrize(("reserved", "fires"), [(900, False), (901, True)])
def test_reserved_concurrency_boundary(reserved, fires):
    stack = _stack()
    SafeFunction(stack, "Fn", **function_kwargs(), reserved_concurrent_executions=reserved)
    assert ("ReservedConcurrencyHeadroom" in _rules(stack)) is fires


def test_reserved_concurrency_account_limit_is_configurable():
    stack = _stack()
    SafeFunction(stack, "Fn", **function_kwargs(), reserved_concurrent_executions=950)
    assert _rules(stack, account_concurrency=2000) == []
    assert _rules(stack, account_concurrency=1000, min_unreserved=50) == []


def test_stream_with_one_bound_is_fine():
    stack = _stack()
    fn = SafeFunction(stack, "Fn", **function_kwargs())
    KinesisOrderedConsumer(stack, "Events", consumer=fn, retry_attempts=-1)
    FifoOrderedConsumer(stack, "Jobs", consumer=fn)
    assert _rules(stack) == []


def test_hotfix_deploy_is_acknowledged_not_blocked():
    app = new_app(context={"constructs_pkg:hotfix": "true"})
    stack = Stack(app, "S", env=TEST_ENV)
    SafeFunction(stack, "Fn", **function_kwargs())
    report = DeploymentSafetyChecks().validate_scope(stack)
    assert report.findings == ()
    assert [f.rule_id for f in report.acknowledged] == ["DeploymentGroupWithoutAlarms"]
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    app.synth()  # an emergency deploy is not blocked by the safety rules


@pytest.mark.parametrize(("through_alias", "fires"), [(False, True), (True, False)])
def test_api_gateway_integration(through_alias, fires):
    stack = _stack()
    fn = SafeFunction(stack, "Fn", **function_kwargs())
    api = apigateway.RestApi(stack, "Api", cloud_watch_role=False)
    handler: lambda_.IFunction = fn.alias if through_alias else fn.function
    api.root.add_method("GET", apigateway.LambdaIntegration(handler))
    assert ("UnqualifiedInvoke" in _rules(stack)) is fires


@pytest.mark.parametrize(("with_destination", "fires"), [(False, True), (True, False)])
def test_async_invocation_needs_a_failure_destination(with_destination, fires):
    from aws_cdk import aws_lambda_destinations as destinations
    from aws_cdk import aws_sns as sns
    from aws_cdk import aws_sns_subscriptions as subscriptions

    stack = _stack()
    failures = sqs.Queue(stack, "Failures", removal_policy=RemovalPolicy.RETAIN)
    on_failure = destinations.SqsDestination(failures) if with_destination else None
    fn = SafeFunction(stack, "Fn", **function_kwargs(), on_failure=on_failure)
    sns.Topic(stack, "Topic").add_subscription(subscriptions.LambdaSubscription(fn.alias))
    assert ("AsyncWithoutFailureDestination" in _rules(stack)) is fires
