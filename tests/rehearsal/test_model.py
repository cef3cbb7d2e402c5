"""What the rehearsal reads from real synthesized templates, and what it finds in them."""

from __future__ import annotations

from typing import Any

import pytest

from constructs_pkg.assembly import load_assembly
from constructs_pkg.rehearsal import Release, read_releases, rehearse
from constructs_pkg.rehearsal._cfn import Resolver
from constructs_pkg.rehearsal.metrics import MetricSource
from constructs_pkg.rehearsal.model import CompositeAlarm, MetricAlarm


@pytest.fixture(scope="module")
def sample_releases(sample_cdk_out) -> dict[str, Release]:
    return {r.name: r for r in read_releases(load_assembly(sample_cdk_out))}


@pytest.fixture(scope="module")
def variant_releases(variants_cdk_out) -> dict[str, Release]:
    return {r.name: r for r in read_releases(load_assembly(variants_cdk_out))}


@pytest.fixture(scope="module")
def variants_rehearsal(variants_cdk_out):
    return rehearse(variants_cdk_out, traffic=[10], faults="errors=100%,latency=3x", runs=200)


def _kinds(release: Release) -> set[str]:
    return {finding.kind for finding in release.findings}


def test_every_release_of_the_sample_app(sample_releases):
    assert set(sample_releases) == {
        f"OrderService/{name}"
        for name in ("Catalog", "Payments", "Orders", "OrderProjector", "Fulfillment")
    }
    catalog = sample_releases["OrderService/Catalog"]
    assert (catalog.shape.kind, catalog.shape.percent, catalog.shape.interval_minutes) == (
        "canary",
        25,
        10,
    )
    assert not catalog.shape.name.startswith("CodeDeployDefault.")  # a custom config resource
    assert (catalog.bake_seconds, catalog.after_hook_tests) == (480, False)
    payments = sample_releases["OrderService/Payments"]
    assert payments.shape.name == "CodeDeployDefault.LambdaCanary10Percent15Minutes"
    assert payments.shape.steps() == [(0, 0.1), (15, 1.0)]
    assert (payments.before_hook, payments.after_hook) == (True, True)
    # Its post_traffic_test runs in the bake hook, before the 8-minute bake.
    assert (payments.bake_seconds, payments.after_hook_tests) == (480, True)
    orders = sample_releases["OrderService/Orders"]
    assert orders.shape.name == "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    assert orders.shape.steps() == [(0, 0.1), (10, 1.0)]
    # The default rollout's bake is the AfterAllowTraffic hook (no post-traffic test).
    assert (orders.before_hook, orders.after_hook) == (True, True)
    assert (orders.bake_seconds, orders.after_hook_tests) == (480, False)
    assert orders.alarms_enabled
    assert orders.rollback_on_alarm
    assert orders.timeout_seconds == 10
    assert orders.duration_threshold_ms() == 2000


def test_sample_alarms_watch_the_new_version(sample_releases):
    orders = sample_releases["OrderService/Orders"]
    alarms = [orders.alarms[key] for key in orders.watched]
    error_rate, latency = alarms  # in the group's order: error rate, then p99 latency
    assert isinstance(error_rate, MetricAlarm)
    assert error_rate.simulated
    sources = [q.source for q in error_rate.queries if isinstance(q.source, MetricSource)]
    assert {(s.series, s.metric) for s in sources} == {
        ("new", "Errors"),
        ("new", "Invocations"),
    }
    assert error_rate.result_id == "expr_1"
    assert (error_rate.threshold, error_rate.period_seconds) == (2.0, 120)
    (rate_expression,) = [q for q in error_rate.queries if q.expression is not None]
    assert rate_expression.text == "IF(errors >= 4, 100 * errors / invocations, 0)"
    # The p99 alarm is metric math: its result is an expression (no statistic of its own)
    # over the new version's p99 duration and its invocations, one-minute periods.
    assert isinstance(latency, MetricAlarm)
    assert latency.simulated
    result = next(q for q in latency.queries if q.id == latency.result_id)
    assert result.statistic is None
    assert result.text == "IF(invocations >= 300, p99, 0)"
    metrics = {
        q.id: (q.source.series, q.source.metric, q.statistic.name, q.period_seconds)
        for q in latency.queries
        if isinstance(q.source, MetricSource) and q.statistic is not None
    }
    assert metrics == {
        "p99": ("new", "Duration", "p99", 60),
        "invocations": ("new", "Invocations", "Sum", 60),
    }
    p99 = latency.queries[[q.id for q in latency.queries].index("p99")]
    assert p99.statistic is not None
    assert p99.statistic.percentile == 99
    assert (latency.threshold, latency.datapoints_to_alarm, latency.evaluation_periods) == (
        2000.0,
        2,
        3,
    )
    assert latency.duration_threshold_ms() == 2000
    assert orders.findings == []


def test_alarms_outside_the_model_are_reported_not_guessed(sample_releases):
    payments = sample_releases["OrderService/Payments"]
    (finding,) = payments.findings
    assert finding.kind == "not-simulated"
    assert "namespace OrderService is not simulated" in finding.message
    declined = next(a for a in payments.metric_alarms() if not a.simulated)
    assert "OrderService" in declined.reason
    projector = sample_releases["OrderService/OrderProjector"]
    assert "namespace AWS/SQS is not simulated" in projector.findings[0].message


def test_version_metric_errors_never_fires(variant_releases, variants_rehearsal):
    """aws-cdk#14248: Version.metric_errors() asks for dimensions Lambda does not publish."""
    wrong = variant_releases["Plain/WrongLive"]
    (finding,) = wrong.findings
    assert finding.kind == "no-data"
    assert "aws-cdk#14248" in finding.message
    assert "FunctionName=Ref(" in finding.message
    caught = variants_rehearsal.result("Plain/WrongLive", "errors=100%", 10)
    assert caught.p_rollback == 0
    assert caught.p_promoted == 1
    right = variants_rehearsal.result("Plain/RightLive", "errors=100%", 10)
    assert right.p_rollback > 0.95
    assert variant_releases["Plain/RightLive"].findings == []


def test_a_version_invoked_by_its_own_arn_is_the_new_versions_traffic(
    variant_releases, variants_rehearsal
):
    """The sticky router invokes versions: Resource=<function>:<version>, no ExecutedVersion."""
    routed = variant_releases["Plain/RoutedLive"]
    assert routed.findings == []
    (alarm,) = [routed.alarms[key] for key in routed.watched]
    assert [(q.source.series, q.source.metric) for q in alarm.queries] == [("version", "Errors")]
    assert variants_rehearsal.result("Plain/RoutedLive", "errors=100%", 10).p_rollback > 0.95


def test_a_sticky_router_adds_simulated_alarms_to_its_targets_release(
    variant_releases, variants_rehearsal
):
    orders = variant_releases["Sticky/Orders"]
    assert orders.findings == []
    watched = [orders.alarms[key] for key in orders.watched]
    routed = [a for a in watched if "Router" in a.name]
    # The target's own error-rate and p99 alarms, and the router's two on the routed calls.
    assert len(watched) == 4
    assert sorted(a.name.rsplit("/", 1)[1] for a in routed) == [
        "RoutedErrorRate",
        "RoutedP99Latency",
    ]
    for alarm in routed:
        assert isinstance(alarm, MetricAlarm)
        assert alarm.simulated
        series = {q.source.series for q in alarm.queries if isinstance(q.source, MetricSource)}
        assert series == {"version"}
    own = [a for a in watched if a not in routed]
    for alarm in own:
        assert isinstance(alarm, MetricAlarm)
        assert {q.source.series for q in alarm.queries if isinstance(q.source, MetricSource)} == {
            "new"
        }
    assert variants_rehearsal.result("Sticky/Orders", "errors=100%", 10).p_rollback > 0.95


def test_custom_config_composite_and_imported_alarm(variant_releases, variants_rehearsal):
    custom = variant_releases["Plain/CustomLive"]
    assert (custom.shape.kind, custom.shape.percent, custom.shape.interval_minutes) == (
        "canary",
        20,
        3,
    )
    assert custom.shape.name == "Plain/Canary20Percent3Minutes"
    (composite,) = [custom.alarms[key] for key in custom.watched]
    assert isinstance(composite, CompositeAlarm)
    assert composite.name == "custom-errors-and-traffic"
    assert all(key is not None for key in composite.children.values())
    children = [custom.alarms[key] for key in composite.children.values()]
    assert sorted(a.name for a in children) == ["Plain/CustomErrors", "Plain/CustomInvocations"]
    (unresolved,) = custom.findings
    assert unresolved.kind == "unresolved"
    assert unresolved.subject == "someone-elses-alarm"
    assert "treated as never firing" in unresolved.message
    # A three-minute canary is shorter than the detection delay: often promoted.
    result = variants_rehearsal.result("Plain/CustomLive", "errors=100%", 10)
    assert 0.2 < result.p_rollback < 0.8


def test_hotfix_and_no_rollback(variant_releases, variants_rehearsal):
    hotfix = variant_releases["Plain/HotfixLive"]
    assert not hotfix.alarms_enabled
    assert _kinds(hotfix) == {"hotfix"}
    assert variants_rehearsal.result("Plain/HotfixLive", "errors=100%", 10).p_promoted == 1
    stopper = variant_releases["Plain/NoRollbackLive"]
    assert stopper.alarms_enabled
    assert not stopper.rollback_on_alarm
    assert _kinds(stopper) == {"no-rollback"}
    stopped = variants_rehearsal.result("Plain/NoRollbackLive", "errors=100%", 10)
    assert stopped.p_rollback == 0
    assert stopped.p_stopped > 0.95


def test_low_sample_percentiles_are_ignored_when_asked(variants_rehearsal):
    """EvaluateLowSampleCountPercentile=ignore: a p99 over < 1000 samples changes nothing."""
    ignore = variants_rehearsal.result("Plain/P99IgnoreLive", "latency=3x", 10)
    evaluate = variants_rehearsal.result("Plain/P99EvaluateLive", "latency=3x", 10)
    assert ignore.p_rollback == 0
    assert evaluate.p_rollback > 0.9


def test_nested_stacks_of_a_function_fleet(variant_releases, variants_rehearsal):
    api = variant_releases["Backend/Backend/Wave1Stack13/Api"]
    assert api.stack.startswith("Backend/")  # a nested stack
    watched = [api.alarms[key] for key in api.watched]
    release_alarm = next(a for a in watched if isinstance(a, CompositeAlarm))
    assert release_alarm.name.endswith("-release")  # found by its literal name, in the parent
    # ...whose rule names the nested stacks' composites, whose rules name member alarms.
    assert all(key is not None for key in release_alarm.children.values())
    other_member = [f for f in api.findings if "is another function" in f.message]
    assert other_member
    assert any(f.subject.endswith("PdfExport/RollbackAlarms/ErrorRate") for f in other_member)
    assert variants_rehearsal.result(api.name, "errors=100%", 10).p_rollback > 0.95
    # PdfExport shifts all at once, then bakes: the alarms still watch for 8 minutes at
    # 100 %, so a version failing every call is rolled back during the bake.
    pdf_release = variant_releases["Backend/Backend/Wave2Stack15/PdfExport"]
    assert pdf_release.shape is not None
    assert pdf_release.shape.kind == "all_at_once"
    assert pdf_release.bake_seconds == 480
    pdf = variants_rehearsal.result(pdf_release.name, "errors=100%", 10)
    assert pdf.p_rollback > 0.95
    assert pdf.p_promoted == 0
    assert pdf.p_past_first_step is None  # one step only
    assert pdf.rollback_minutes_p90 is not None
    assert pdf.rollback_minutes_p90 < 8


def test_resolver_follows_nested_parameters_sub_and_select():
    templates: dict[str, Any] = {
        "Parent": {
            "Resources": {
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
                "Named": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "a1"}},
                "Child": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"Parameters": {"FnName": {"Ref": "Fn"}}},
                },
            },
            "Parameters": {"Top": {"Type": "String"}},
        },
        "Parent/Child": {"Resources": {}, "Parameters": {"FnName": {"Type": "String"}}},
    }
    resolver = Resolver(templates)
    assert resolver.string("Parent/Child", {"Ref": "FnName"}) == "${Ref:Parent:Fn}"
    assert resolver.string("Parent", {"Ref": "Named"}) == "a1"
    assert resolver.string("Parent", {"Fn::Sub": "${Fn}:live"}) == "${Ref:Parent:Fn}:live"
    assert resolver.string("Parent", {"Fn::Sub": ["${X}-${AWS::Region}", {"X": "x"}]}) == (
        "x-${AWS::Region}"
    )
    assert resolver.string("Parent", {"Fn::Select": [1, ["a", "b"]]}) == "b"
    assert resolver.string("Parent", {"Fn::GetAtt": "Fn.Arn"}) == "${GetAtt:Parent:Fn.Arn}"
    for unknown in (
        {"Ref": "Top"},  # a top-level parameter: known only at deploy time
        {"Fn::ImportValue": "x"},
        {"Fn::Select": [5, ["a"]]},
        {"Ref": "Missing"},
        {"Fn::Join": ["", [{"Fn::ImportValue": "x"}]]},
    ):
        assert resolver.string("Parent", unknown) is None
