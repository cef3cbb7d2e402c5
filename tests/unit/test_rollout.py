from __future__ import annotations

import pytest
from aws_cdk import Duration

from constructs_pkg import ConfigurationError, Rollout
from constructs_pkg.release.rollout import RolloutStep


def test_default_rollout_is_canary_10_percent_for_5_minutes():
    rollout = Rollout.canary()
    assert (rollout.kind, rollout.percent, rollout.interval_minutes) == ("canary", 10, 5)
    assert rollout.predefined_name == "CodeDeployDefault.LambdaCanary10Percent5Minutes"


@pytest.mark.parametrize(
    ("rollout", "name"),
    [
        (Rollout.canary(percent=10, interval=Duration.minutes(5)), "LambdaCanary10Percent5Minutes"),
        (
            Rollout.canary(percent=10, interval=Duration.minutes(10)),
            "LambdaCanary10Percent10Minutes",
        ),
        (
            Rollout.canary(percent=10, interval=Duration.minutes(15)),
            "LambdaCanary10Percent15Minutes",
        ),
        (
            Rollout.canary(percent=10, interval=Duration.minutes(30)),
            "LambdaCanary10Percent30Minutes",
        ),
        (
            Rollout.linear(percent=10, every=Duration.minutes(1)),
            "LambdaLinear10PercentEvery1Minute",
        ),
        (
            Rollout.linear(percent=10, every=Duration.minutes(2)),
            "LambdaLinear10PercentEvery2Minutes",
        ),
        (
            Rollout.linear(percent=10, every=Duration.minutes(3)),
            "LambdaLinear10PercentEvery3Minutes",
        ),
        (
            Rollout.linear(percent=10, every=Duration.minutes(10)),
            "LambdaLinear10PercentEvery10Minutes",
        ),
        (Rollout.all_at_once(), "LambdaAllAtOnce"),
    ],
)
def test_predefined_shapes_use_codedeploy_names(rollout, name):
    assert rollout.predefined_name == f"CodeDeployDefault.{name}"


@pytest.mark.parametrize(
    "rollout",
    [
        Rollout.canary(percent=25, interval=Duration.minutes(5)),
        Rollout.canary(percent=10, interval=Duration.minutes(6)),
        Rollout.linear(percent=20, every=Duration.minutes(1)),
    ],
)
def test_other_shapes_need_a_custom_config(rollout):
    assert rollout.predefined_name is None
    assert rollout.predefined_config() is None


@pytest.mark.parametrize("percent", [1, 99, 50, 1.0])
def test_percent_bounds_accepted(percent):
    assert Rollout.canary(percent=percent).percent == int(percent)
    assert Rollout.linear(percent=percent).percent == int(percent)


@pytest.mark.parametrize("percent", [0, 100, -5, 12.5, "10", True])
@pytest.mark.parametrize("factory", [Rollout.canary, Rollout.linear])
def test_percent_out_of_range_rejected(factory, percent):
    with pytest.raises(
        ConfigurationError, match=r"percent\)=.* expected a whole number from 1 to 99"
    ):
        factory(percent=percent)


@pytest.mark.parametrize("minutes", [1, 2880])
def test_interval_bounds_accepted(minutes):
    assert Rollout.canary(interval=Duration.minutes(minutes)).interval_minutes == minutes
    assert Rollout.linear(every=Duration.minutes(minutes)).interval_minutes == minutes


@pytest.mark.parametrize(
    "interval",
    [Duration.seconds(59), Duration.seconds(90), Duration.minutes(2881), Duration.days(3)],
)
def test_interval_not_whole_minutes_or_too_long_rejected(interval):
    with pytest.raises(
        ConfigurationError,
        match=r"Rollout.canary\(interval\)=<.*> is not allowed: expected a whole number of "
        r"minutes from 1 minute to 2880 minutes",
    ):
        Rollout.canary(interval=interval)
    with pytest.raises(ConfigurationError, match=r"Rollout.linear\(every\)"):
        Rollout.linear(every=interval)


def test_interval_must_be_a_duration():
    with pytest.raises(ConfigurationError, match=r"interval\)=5 is not allowed"):
        Rollout.canary(interval=5)  # type: ignore[arg-type]


def test_direct_construction_is_validated_too():
    with pytest.raises(ConfigurationError, match=r"Rollout\(kind\)='blue' is not allowed"):
        Rollout("blue")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"Rollout.canary\(percent\)=0 is not allowed"):
        Rollout("canary", 0, 5)
    with pytest.raises(ConfigurationError, match=r"Rollout.linear\(interval_minutes\)=2881"):
        Rollout("linear", 10, 2881)
    assert Rollout("linear", 10, 2880).interval_minutes == 2880


def test_timelines():
    assert Rollout.all_at_once().timeline() == [RolloutStep(0, 100)]
    assert Rollout.canary().timeline() == [RolloutStep(0, 10), RolloutStep(5, 100)]
    linear = Rollout.linear(percent=30, every=Duration.minutes(2)).timeline()
    assert linear == [
        RolloutStep(0, 30),
        RolloutStep(2, 60),
        RolloutStep(4, 90),
        RolloutStep(6, 100),
    ]
    assert Rollout.linear().bake_minutes == 9


def test_descriptions():
    assert Rollout.canary().describe() == "canary: 10% for 5 minutes, then 100%"
    assert (
        Rollout.linear(percent=10, every=Duration.minutes(1)).describe()
        == "linear: +10% every 1 minute, 100% after 9 minutes"
    )
    assert Rollout.all_at_once().describe() == "all at once: 100% immediately"
