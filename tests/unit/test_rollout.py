from __future__ import annotations

import pytest
from aws_cdk import Duration, Token
from aws_cdk import aws_codedeploy as codedeploy

from constructs_pkg import ConfigurationError, Rollout
from constructs_pkg.release.rollout import RolloutStep


def test_default_rollout_is_canary_10_percent_for_10_minutes_then_an_8_minute_bake():
    rollout = Rollout.canary()
    assert (rollout.kind, rollout.percent, rollout.interval_minutes) == ("canary", 10, 10)
    assert rollout.predefined_name == "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    assert rollout.bake_minutes is None  # not chosen: the library default is in force
    assert (rollout.shift_minutes, rollout.bake, rollout.total_minutes) == (10, 8, 18)
    assert rollout == Rollout.named("CodeDeployDefault.LambdaCanary10Percent10Minutes")


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
    assert Rollout.canary().timeline() == [RolloutStep(0, 10), RolloutStep(10, 100)]
    linear = Rollout.linear(percent=30, every=Duration.minutes(2)).timeline()
    assert linear == [
        RolloutStep(0, 30),
        RolloutStep(2, 60),
        RolloutStep(4, 90),
        RolloutStep(6, 100),
    ]
    # The bake is not a traffic step: the timeline ends at the shift to 100 %.
    default_linear = Rollout.linear()
    assert default_linear.timeline()[-1] == RolloutStep(9, 100)
    assert (default_linear.shift_minutes, default_linear.bake, default_linear.total_minutes) == (
        9,
        8,
        17,
    )


def test_descriptions():
    assert Rollout.canary().describe() == "canary: 10% for 10 minutes, then 100%; 8-minute bake"
    assert (
        Rollout.linear(percent=10, every=Duration.minutes(1)).describe()
        == "linear: +10% every 1 minute, 100% after 9 minutes; 8-minute bake"
    )
    assert Rollout.all_at_once().describe() == "all at once: 100% immediately; 8-minute bake"
    assert (
        Rollout.canary(bake=Duration.minutes(3)).describe()
        == "canary: 10% for 10 minutes, then 100%; 3-minute bake"
    )
    assert (
        Rollout.all_at_once(bake=Duration.minutes(0)).describe()
        == "all at once: 100% immediately; no bake"
    )
    assert Rollout.disabled().describe() == (
        "disabled: CloudFormation moves the alias at once, no CodeDeploy, no rollback"
    )


# --- the bake ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [
        lambda bake: Rollout.canary(bake=bake),
        lambda bake: Rollout.linear(bake=bake),
        lambda bake: Rollout.all_at_once(bake=bake),
        lambda bake: Rollout.named("Acme.Lambda.Canary5Percent20Minutes", bake=bake),
        lambda bake: Rollout.from_config(
            codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_15_MINUTES, bake=bake
        ),
    ],
    ids=["canary", "linear", "all_at_once", "named", "from_config"],
)
@pytest.mark.parametrize("minutes", [0, 1, 12])
def test_every_factory_takes_a_bake_of_0_to_12_whole_minutes(factory, minutes):
    rollout = factory(Duration.minutes(minutes))
    assert rollout.bake_minutes == minutes
    assert rollout.bake == minutes
    assert isinstance(rollout.bake_minutes, int)
    if rollout.shape_known:
        assert rollout.total_minutes == rollout.shift_minutes + minutes
    assert rollout.describe().endswith("; no bake" if minutes == 0 else f"; {minutes}-minute bake")


@pytest.mark.parametrize(
    ("factory", "where"),
    [
        (lambda bake: Rollout.canary(bake=bake), r"Rollout\.canary\(bake\)"),
        (lambda bake: Rollout.linear(bake=bake), r"Rollout\.linear\(bake\)"),
        (lambda bake: Rollout.all_at_once(bake=bake), r"Rollout\.all_at_once\(bake\)"),
        (lambda bake: Rollout.named("Acme.X", bake=bake), r"Rollout\.named\(bake\)"),
        (
            lambda bake: Rollout.from_config(
                codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE, bake=bake
            ),
            r"Rollout\.from_config\(bake\)",
        ),
    ],
    ids=["canary", "linear", "all_at_once", "named", "from_config"],
)
@pytest.mark.parametrize(
    "bake", [Duration.minutes(13), Duration.seconds(30), Duration.seconds(90), Duration.hours(1)]
)
def test_a_bake_over_12_minutes_or_not_whole_minutes_is_rejected(factory, where, bake):
    with pytest.raises(
        ConfigurationError,
        match=where + r"=<.*> is not allowed: expected a whole number of minutes from 0 seconds "
        r"to 12 minutes",
    ):
        factory(bake)


def test_a_bake_must_be_a_duration_known_at_synth_time():
    with pytest.raises(ConfigurationError, match=r"Rollout\.canary\(bake\)=5 is not allowed"):
        Rollout.canary(bake=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"Rollout\.canary\(bake\)=.*known at synth time"):
        Rollout.canary(bake=Duration.minutes(Token.as_number({"Ref": "BakeMinutes"})))


@pytest.mark.parametrize("minutes", [-1, 13, 2.5])
def test_direct_construction_checks_the_bake(minutes):
    with pytest.raises(ConfigurationError, match=r"Rollout\(bake_minutes\)=.* from 0 to 12"):
        Rollout("canary", 10, 10, bake_minutes=minutes)


def test_with_bake_returns_a_new_checked_rollout():
    canary = Rollout.canary()
    assert canary.with_bake(None) is canary  # None keeps the rollout (and the default)
    shorter = canary.with_bake(Duration.minutes(2))
    assert (shorter.bake_minutes, shorter.bake, shorter.total_minutes) == (2, 2, 12)
    assert (shorter.kind, shorter.percent, shorter.interval_minutes) == ("canary", 10, 10)
    assert canary.bake_minutes is None  # frozen: the original is unchanged
    with pytest.raises(ConfigurationError, match=r"^bake=<13 minutes> is not allowed"):
        canary.with_bake(Duration.minutes(13))


def test_a_disabled_rollout_has_no_bake():
    disabled = Rollout.disabled()
    assert (disabled.bake, disabled.total_minutes) == (0, 0)
    assert disabled.record().bake_minutes == 0
    assert disabled.with_bake(Duration.minutes(0)).bake == 0
    with pytest.raises(
        ConfigurationError, match=r"Rollout\.disabled\(bake\)=3 is not allowed: expected no bake"
    ):
        disabled.with_bake(Duration.minutes(3))


def test_a_named_config_of_unknown_shape_bakes_but_has_no_known_length():
    named = Rollout.named("Acme.Lambda.Canary5Percent20Minutes")
    assert not named.shape_known
    assert (named.shift_minutes, named.bake, named.total_minutes) == (0, 8, 0)


def test_the_record_carries_the_bake_in_force():
    assert Rollout.canary().record().bake_minutes == 8
    assert Rollout.linear(bake=Duration.minutes(5)).record().bake_minutes == 5
    record = Rollout.all_at_once(bake=Duration.minutes(0)).record()
    assert record.bake_minutes == 0
    assert record.description == "all at once: 100% immediately; no bake"
    assert record.timeline == ((0, 100),)
