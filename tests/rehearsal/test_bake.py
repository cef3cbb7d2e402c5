"""The bake in the rehearsal: read from the AfterAllowTraffic hook, and what it changes.

One small app (inline code, no asset) holds releases that differ only in their bake, so the
simulated differences come from the bake alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack

from constructs_pkg import Rollout, SafeFunction, SmokeTest, defaults
from constructs_pkg.assembly import Assembly, load_assembly
from constructs_pkg.rehearsal import Rehearsal, Release, read_releases, rehearse
from constructs_pkg.runtime.env import BAKE_SECONDS_ENV, SMOKE_TARGET_ENV
from tests.cdk_helpers import CDK_CONTEXT, TEST_ENV, function_kwargs

STACK = "Bake"
HOTFIX_STACK = "BakeHotfix"
#: Releases that differ only in the bake (no smoke tests, so no hook time but the bake's).
CANARY, CANARY_NO_BAKE = f"{STACK}/Canary", f"{STACK}/CanaryNoBake"
AT_ONCE, AT_ONCE_NO_BAKE = f"{STACK}/AtOnce", f"{STACK}/AtOnceNoBake"
SHORT = f"{STACK}/ShortBake"
TESTED = f"{STACK}/TestedBake"
TESTED_NO_BAKE = f"{STACK}/TestedNoBake"
HOTFIX = f"{HOTFIX_STACK}/Hotfix"
PING = SmokeTest(payload={"ping": True}, expect={"ok": True})


def _build(app: App) -> None:
    stack = Stack(app, STACK, env=TEST_ENV)
    no_bake = Duration.minutes(0)
    for name, rollout, post_test in (
        ("Canary", Rollout.canary(), None),
        ("CanaryNoBake", Rollout.canary(bake=no_bake), None),
        ("AtOnce", Rollout.all_at_once(), None),
        ("AtOnceNoBake", Rollout.all_at_once(bake=no_bake), None),
        ("ShortBake", Rollout.canary(bake=Duration.minutes(3)), None),
        ("TestedBake", Rollout.canary(), PING),
        ("TestedNoBake", Rollout.canary(bake=no_bake), PING),
    ):
        SafeFunction(
            stack,
            name,
            **function_kwargs(timeout=Duration.seconds(10)),
            rollout=rollout,
            post_traffic_test=post_test,
        )
    hotfix = Stack(app, HOTFIX_STACK, env=TEST_ENV)
    hotfix.node.set_context(defaults.HOTFIX_CONTEXT_KEY, True)
    SafeFunction(hotfix, "Hotfix", **function_kwargs(timeout=Duration.seconds(10)))


@pytest.fixture(scope="module")
def bake_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("bake-cdk-out")
    app = App(
        outdir=str(outdir),
        analytics_reporting=False,
        builtin_cloud_formation_validation=False,
        # aws:cdk:path metadata, as `cdk synth` writes it: releases are named by path.
        context={**CDK_CONTEXT, "aws:cdk:enable-path-metadata": True},
    )
    _build(app)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assembly(bake_cdk_out: Path) -> Assembly:
    return load_assembly(bake_cdk_out)


@pytest.fixture(scope="module")
def releases(assembly: Assembly) -> dict[str, Release]:
    return {r.name: r for r in read_releases(assembly)}


# --- the model reads the bake from the hook ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "bake_seconds", "after_hook", "after_hook_tests"),
    [
        (CANARY, 480, True, False),  # the default 8-minute bake is the AfterAllowTraffic hook
        (AT_ONCE, 480, True, False),
        (SHORT, 180, True, False),
        (TESTED, 480, True, True),  # the post-traffic test runs in the bake hook, first
        (CANARY_NO_BAKE, None, False, True),  # no bake, no post-traffic test: no hook at all
        (AT_ONCE_NO_BAKE, None, False, True),
        (TESTED_NO_BAKE, None, True, True),  # a plain smoke-test hook: no BAKE_SECONDS
        (HOTFIX, None, False, True),  # a hotfix is all at once without a bake
    ],
)
def test_the_bake_is_read_from_the_after_allow_traffic_hook(
    releases: dict[str, Release],
    name: str,
    bake_seconds: float | None,
    after_hook: bool,
    after_hook_tests: bool,
) -> None:
    release = releases[name]
    assert release.bake_seconds == bake_seconds
    assert release.after_hook is after_hook
    assert release.after_hook_tests is after_hook_tests
    assert release.before_hook is False


def test_a_hotfix_has_no_bake_and_no_alarms(releases: dict[str, Release]) -> None:
    hotfix = releases[HOTFIX]
    assert hotfix.shape is not None
    assert hotfix.shape.kind == "all_at_once"
    assert not hotfix.alarms_enabled
    assert "hotfix" in {finding.kind for finding in hotfix.findings}


def _hook_variables(assembly: Assembly, release: Release) -> dict[str, Any]:
    """The Environment.Variables of ``release``'s AfterAllowTraffic hook function."""
    template = assembly.templates[release.stack]
    alias = template["Resources"][release.alias_id]
    hook_ref = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["AfterAllowTrafficHook"]
    hook = template["Resources"][hook_ref["Ref"]]
    assert hook["Type"] == "AWS::Lambda::Function"
    variables: dict[str, Any] = hook["Properties"]["Environment"]["Variables"]
    return variables


def test_bake_seconds_is_the_hooks_environment_variable(
    assembly: Assembly, releases: dict[str, Release]
) -> None:
    canary = releases[CANARY]
    variables = _hook_variables(assembly, canary)
    assert variables[BAKE_SECONDS_ENV] == "480"
    assert SMOKE_TARGET_ENV not in variables
    tested = _hook_variables(assembly, releases[TESTED])
    assert tested[BAKE_SECONDS_ENV] == "480"
    assert SMOKE_TARGET_ENV in tested
    assert BAKE_SECONDS_ENV not in _hook_variables(assembly, releases[TESTED_NO_BAKE])


def _with_bake_value(assembly: Assembly, release: Release, value: object) -> Assembly:
    """A copy of ``assembly`` whose ``release`` hook has BAKE_SECONDS=``value``."""
    templates: dict[str, Mapping[str, Any]] = copy.deepcopy(assembly.templates)
    changed = Assembly(directory=assembly.directory, templates=templates)
    _hook_variables(changed, release)[BAKE_SECONDS_ENV] = value
    return changed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120),
        ("0", 0),
        ("8m", None),  # not whole seconds: not a bake the model can trust
        ("-60", None),
        ({"Ref": "BakeSeconds"}, None),  # unknown at synth
    ],
)
def test_only_a_whole_number_of_seconds_is_a_bake(
    assembly: Assembly, releases: dict[str, Release], value: object, expected: float | None
) -> None:
    changed = _with_bake_value(assembly, releases[CANARY], value)
    (release,) = [r for r in read_releases(changed) if r.name == CANARY]
    assert release.bake_seconds == expected
    assert release.after_hook  # still a hook: without a readable bake, a plain one


# --- a bake extends the watched window ------------------------------------------------------


@pytest.fixture(scope="module")
def bake_rehearsal(assembly: Assembly) -> Rehearsal:
    return rehearse(
        assembly,
        traffic=[1, 10],
        faults="errors=100%,errors=5%,healthy",
        runs=200,
        seed=7,
        releases=[CANARY, CANARY_NO_BAKE, AT_ONCE, AT_ONCE_NO_BAKE, SHORT],
    )


def test_a_healthy_deployment_lasts_its_shifts_plus_its_bake(bake_rehearsal: Rehearsal) -> None:
    # No smoke tests in these releases: only the shifts and the bake keep them open.
    expected = {CANARY: 18, CANARY_NO_BAKE: 10, AT_ONCE: 8, AT_ONCE_NO_BAKE: 0, SHORT: 13}
    for name, minutes in expected.items():
        healthy = bake_rehearsal.result(name, "healthy", 10)
        assert healthy.p_rollback == 0
        assert healthy.deployment_minutes_p50 == pytest.approx(minutes, abs=1e-6)


def test_at_low_traffic_the_bake_catches_what_the_canary_misses(bake_rehearsal: Rehearsal) -> None:
    """5 % errors at 1 req/s: the 10 % canary sees ~0.3 errors a minute, below 4 per period."""
    baked = bake_rehearsal.result(CANARY, "errors=5%", 1)
    unbaked = bake_rehearsal.result(CANARY_NO_BAKE, "errors=5%", 1)
    assert baked.p_rollback > 0.9
    assert unbaked.p_rollback < 0.3
    # Not a fluke of the run count: the 95 % intervals are far apart.
    assert baked.interval()[0] > unbaked.interval()[1]
    # Without the bake, what the canary misses is promoted; with it, nearly nothing is.
    assert unbaked.p_promoted > 0.7
    assert baked.p_promoted < 0.1
    # The bake caught them at 100 %: after the shift at minute 10.
    assert baked.p_past_first_step is not None
    assert baked.p_past_first_step > 0.5
    # A shorter bake watches for less time: in between.
    short = bake_rehearsal.result(SHORT, "errors=5%", 1)
    assert unbaked.p_rollback < short.p_rollback <= baked.p_rollback


@pytest.mark.parametrize("rate", [1, 10])
def test_all_at_once_is_only_watched_during_its_bake(bake_rehearsal: Rehearsal, rate: int) -> None:
    baked = bake_rehearsal.result(AT_ONCE, "errors=100%", rate)
    unbaked = bake_rehearsal.result(AT_ONCE_NO_BAKE, "errors=100%", rate)
    # Without a bake the deployment ends at the shift, before any alarm can see a minute.
    assert unbaked.p_rollback == 0
    assert unbaked.p_promoted == 1
    # With one, every run is rolled back within the 8 minutes.
    assert baked.p_rollback > 0.97
    assert baked.rollback_minutes_p90 is not None
    assert baked.rollback_minutes_p90 < 8


def test_the_report_names_the_bake_hook(bake_rehearsal: Rehearsal) -> None:
    text = bake_rehearsal.render()
    lines = {line.split("  ", 1)[0]: line for line in text.splitlines() if line.startswith(STACK)}
    assert "; AfterAllowTraffic (8-minute bake) hook(s); 2 alarm(s)" in lines[CANARY]
    assert "; AfterAllowTraffic (3-minute bake) hook(s);" in lines[SHORT]
    assert "; no hooks; 2 alarm(s)" in lines[CANARY_NO_BAKE]
    assert "; AfterAllowTraffic (8-minute bake) hook(s);" in lines[AT_ONCE]
