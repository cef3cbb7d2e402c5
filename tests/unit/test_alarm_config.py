from __future__ import annotations

import pytest
from aws_cdk import Duration, Token
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs_pkg import ConfigurationError, RollbackAlarms
from constructs_pkg.release.alarms import ReleaseMetricFactory


def test_defaults_are_documented_values():
    alarms = RollbackAlarms()
    assert alarms.error_rate_percent == 2.0
    assert alarms.min_errors == 4
    assert alarms.period.to_seconds() == 120
    assert alarms.evaluation_periods == 1
    assert alarms.window_minutes == 2
    # The p99 latency alarm is on by default: half the timeout, 300+ calls, 2 of 3 minutes.
    assert alarms.p99_latency is None
    assert alarms.p99_timeout_share == 0.5
    assert alarms.latency_min_invocations == 300
    assert (alarms.latency_datapoints_to_alarm, alarms.latency_evaluation_periods) == (2, 3)
    assert alarms.throttles is None
    assert alarms.extra == ()
    assert alarms.combine_over_limit is True


@pytest.mark.parametrize(
    ("alarms", "timeout", "threshold"),
    [
        (RollbackAlarms(), 10, 5000.0),
        (RollbackAlarms(), 3, 1500.0),
        (RollbackAlarms(p99_timeout_share=0.25), 10, 2500.0),
        (RollbackAlarms(p99_latency=Duration.millis(800)), 10, 800.0),
        (RollbackAlarms(p99_latency=Duration.seconds(2)), None, 2000.0),
        (RollbackAlarms(), None, None),  # timeout unknown at synth: no default latency alarm
        (RollbackAlarms(p99_timeout_share=None), 10, None),  # latency alarm switched off
    ],
)
def test_p99_threshold_is_the_explicit_latency_or_a_share_of_the_timeout(
    alarms, timeout, threshold
):
    assert alarms.p99_threshold_ms(timeout) == threshold


@pytest.mark.parametrize("share", [0, -0.5, 0.995, 1, float("nan"), "0.5"])
def test_p99_timeout_share_rejected(share):
    with pytest.raises(
        ConfigurationError,
        match=r"RollbackAlarms\(p99_timeout_share\)=.* expected a number greater than 0 "
        r"and at most 0.99",
    ):
        RollbackAlarms(p99_timeout_share=share)


@pytest.mark.parametrize("share", [0.01, 0.99, None])
def test_p99_timeout_share_bounds_accepted(share):
    assert RollbackAlarms(p99_timeout_share=share).p99_timeout_share == share


@pytest.mark.parametrize("value", [0, 2.5, 10_000_001])
def test_latency_min_invocations_rejected(value):
    with pytest.raises(ConfigurationError, match=r"latency_min_invocations\)=.* is not allowed"):
        RollbackAlarms(latency_min_invocations=value)


def test_latency_datapoints_cannot_exceed_the_evaluation_periods():
    with pytest.raises(
        ConfigurationError,
        match=r"latency_datapoints_to_alarm\)=4 is not allowed: expected a whole number from 1 "
        r"to 3",
    ):
        RollbackAlarms(latency_datapoints_to_alarm=4)
    accepted = RollbackAlarms(latency_datapoints_to_alarm=5, latency_evaluation_periods=5)
    assert (accepted.latency_datapoints_to_alarm, accepted.latency_evaluation_periods) == (5, 5)


@pytest.mark.parametrize("rate", [0.01, 1, 100])
def test_error_rate_accepted(rate):
    assert RollbackAlarms(error_rate_percent=rate).error_rate_percent == rate


@pytest.mark.parametrize("rate", [0, -1, 100.5, float("nan"), "1"])
def test_error_rate_rejected(rate):
    with pytest.raises(
        ConfigurationError,
        match=r"RollbackAlarms\(error_rate_percent\)=.* expected a number greater than 0 "
        r"and at most 100",
    ):
        RollbackAlarms(error_rate_percent=rate)


@pytest.mark.parametrize("value", [0, -3, 2.5])
def test_min_errors_rejected(value):
    with pytest.raises(ConfigurationError, match=r"min_errors\)=.* a whole number of at least 1"):
        RollbackAlarms(min_errors=value)


def test_min_errors_lower_bound_accepted():
    assert RollbackAlarms(min_errors=1).min_errors == 1


@pytest.mark.parametrize("value", [-1, 0.5])
def test_throttles_rejected(value):
    with pytest.raises(ConfigurationError, match=r"throttles\)=.* a whole number of at least 0"):
        RollbackAlarms(throttles=value)


def test_throttles_zero_accepted():
    assert RollbackAlarms(throttles=0).throttles == 0


@pytest.mark.parametrize("latency", [Duration.millis(0), Duration.seconds(901)])
def test_latency_rejected(latency):
    with pytest.raises(ConfigurationError, match=r"p99_latency\)=<.*> is not allowed"):
        RollbackAlarms(p99_latency=latency)


@pytest.mark.parametrize("latency", [Duration.millis(1), Duration.seconds(900)])
def test_latency_bounds_accepted(latency):
    assert RollbackAlarms(p99_latency=latency).p99_latency is latency


@pytest.mark.parametrize(
    "period", [Duration.seconds(30), Duration.seconds(90), Duration.minutes(61)]
)
def test_period_rejected(period):
    with pytest.raises(ConfigurationError, match=r"RollbackAlarms\(period\)=<.*> is not allowed"):
        RollbackAlarms(period=period)


@pytest.mark.parametrize("period", [Duration.minutes(1), Duration.minutes(60)])
def test_period_bounds_accepted(period):
    assert RollbackAlarms(period=period).period is period


def test_evaluation_periods_rejected_below_one():
    with pytest.raises(ConfigurationError, match=r"evaluation_periods\)=0"):
        RollbackAlarms(evaluation_periods=0)


def test_window_is_period_times_evaluations():
    assert RollbackAlarms(period=Duration.minutes(2), evaluation_periods=3).window_minutes == 6


def test_thresholds_must_be_known_at_synth_time():
    # Thresholds are in the alarm math, the descriptions and the rehearsal: no tokens.
    with pytest.raises(
        ConfigurationError,
        match=r"error_rate_percent\)=<a number token> is not allowed: .* known at synth time",
    ):
        RollbackAlarms(error_rate_percent=Token.as_number({"Ref": "Rate"}))


def test_metric_factory_dimensions():
    factory = ReleaseMetricFactory("orders", "live", "7", Duration.minutes(1))
    assert factory.new_version("Errors", "Sum").dimensions == {
        "FunctionName": "orders",
        "Resource": "orders:live",
        "ExecutedVersion": "7",
    }
    assert factory.alias("Throttles", "Sum").dimensions == {
        "FunctionName": "orders",
        "Resource": "orders:live",
    }
    expr = factory.error_rate(3)
    assert expr.expression == "IF(errors >= 3, 100 * errors / invocations, 0)"
    assert set(expr.using_metrics) == {"errors", "invocations"}


def test_guarded_p99_counts_only_minutes_with_enough_calls():
    factory = ReleaseMetricFactory("orders", "live", "7", Duration.minutes(2))
    expr = factory.guarded_p99(300)
    assert expr.expression == "IF(invocations >= 300, p99, 0)"
    assert expr.period.to_seconds() == 60  # one-minute datapoints, whatever the factory's period
    p99, invocations = expr.using_metrics["p99"], expr.using_metrics["invocations"]
    assert isinstance(p99, cloudwatch.Metric)
    assert isinstance(invocations, cloudwatch.Metric)
    assert (p99.metric_name, p99.statistic) == ("Duration", "p99")
    assert (invocations.metric_name, invocations.statistic) == ("Invocations", "Sum")
    for metric in (p99, invocations):
        assert metric.period.to_seconds() == 60
        assert metric.dimensions == {
            "FunctionName": "orders",
            "Resource": "orders:live",
            "ExecutedVersion": "7",
        }
