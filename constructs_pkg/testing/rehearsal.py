"""Assert in CI that a synthesized app rolls a bad version back (and keeps a good one).

Both helpers rehearse a cloud assembly (:func:`constructs_pkg.rehearsal.rehearse`) and fail
with every release that misses the bar, its measured share and the 95 % interval of that
share at the run count used. The comparison is on the measured share: to show a share of
at least 99.9 % *with confidence*, use enough runs (about 3,000 runs without a miss).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from constructs_pkg.assembly import Assembly
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.rehearsal import Rehearsal, ScenarioResult, Timing, TrafficModel, rehearse
from constructs_pkg.rehearsal.report import wilson_interval

__all__ = ["assert_healthy_release_passes", "assert_release_catches"]


def assert_release_catches(
    assembly: str | Path | Assembly,
    *,
    fault: str = "errors=100%",
    traffic: float | Sequence[float] = 10.0,
    at_least: float = 0.999,
    max_past_first_step: float | None = None,
    runs: int = 1000,
    seed: int = 0,
    releases: Iterable[str] | None = None,
    timing: Timing | None = None,
    model: TrafficModel | None = None,
) -> Rehearsal:
    """Fail unless every release rolls a version with ``fault`` back often enough.

    Parameters
    ----------
    assembly
        A ``cdk.out`` directory (e.g. from ``App(outdir=...)`` + ``app.synth()``).
    fault
        The bad version: ``errors=P%`` or ``latency=Fx``. Default: fails every call.
    traffic
        Request rate(s) on the alias; every rate must pass. Default: 10 req/s.
    at_least
        Lowest acceptable share of simulated releases rolled back. Default: 0.999.
    max_past_first_step
        Also fail when more than this share reached the second traffic step (0 means "never
        promoted past the first step"). Default: not checked.
    runs, seed, releases, timing, model
        As for :func:`constructs_pkg.rehearsal.rehearse`. Default: 1000 runs, seed 0,
        every release, default assumptions.

    Returns
    -------
    Rehearsal
        The rehearsal, for further assertions.

    Examples
    --------
    ::

        def test_a_broken_release_is_rolled_back(cdk_out):
            assert_release_catches(cdk_out, fault="errors=100%", traffic=[1, 10, 100],
                                   at_least=0.999, max_past_first_step=0.0)
    """
    _check_share("at_least", at_least)
    if max_past_first_step is not None:
        _check_share("max_past_first_step", max_past_first_step)
    rehearsal = _run(assembly, fault, traffic, runs, seed, releases, timing, model)
    failing = []
    for result in rehearsal.results:
        if result.p_rollback < at_least:
            failing.append(
                _line(result, f"rolled back {_pct(result.p_rollback)} < {_pct(at_least)}")
            )
        past = result.p_past_first_step
        if max_past_first_step is not None and past is not None and past > max_past_first_step:
            failing.append(
                _line(
                    result,
                    f"past the first step {_pct(past)} > {_pct(max_past_first_step)}",
                    share=past,
                )
            )
    _raise(failing, rehearsal, f"a version with {fault} is not caught")
    return rehearsal


def assert_healthy_release_passes(
    assembly: str | Path | Assembly,
    *,
    traffic: float | Sequence[float] = 10.0,
    at_most: float = 0.001,
    runs: int = 1000,
    seed: int = 0,
    releases: Iterable[str] | None = None,
    timing: Timing | None = None,
    model: TrafficModel | None = None,
) -> Rehearsal:
    """Fail when a healthy version is wrongly rolled back in more than ``at_most`` of releases.

    Healthy is the traffic model's healthy profile (default 0.1 % errors, 0.2 % slow
    outliers). Parameters as for :func:`assert_release_catches`.

    Examples
    --------
    ::

        def test_a_healthy_release_is_not_rolled_back(cdk_out):
            assert_healthy_release_passes(cdk_out, traffic=[1, 10, 100], at_most=0.001)
    """
    _check_share("at_most", at_most)
    rehearsal = _run(assembly, "healthy", traffic, runs, seed, releases, timing, model)
    failing = [
        _line(r, f"false rollbacks {_pct(r.p_rollback)} > {_pct(at_most)}")
        for r in rehearsal.results
        if r.p_rollback > at_most
    ]
    _raise(failing, rehearsal, "a healthy version is rolled back")
    return rehearsal


def _run(
    assembly: str | Path | Assembly,
    fault: str,
    traffic: float | Sequence[float],
    runs: int,
    seed: int,
    releases: Iterable[str] | None,
    timing: Timing | None,
    model: TrafficModel | None,
) -> Rehearsal:
    rates = [traffic] if isinstance(traffic, int | float) else list(traffic)
    rehearsal = rehearse(
        assembly,
        traffic=rates,
        faults=fault,
        runs=runs,
        seed=seed,
        releases=releases,
        timing=timing,
        model=model,
    )
    if not rehearsal.results:
        raise AssertionError(f"no CodeDeploy Lambda release to rehearse in {rehearsal.directory}")
    return rehearsal


def _check_share(argument: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigurationError(argument, value, "a share from 0 to 1 (0.999 = 99.9 %)")


def _line(result: ScenarioResult, what: str, *, share: float | None = None) -> str:
    """One failing release: ``what``, with the 95 % interval of ``share`` (default P(rollback))."""
    measured = result.p_rollback if share is None else share
    low, high = wilson_interval(round(measured * result.runs), result.runs)
    return (
        f"  {result.release} at {result.rate:g} req/s, {result.fault}: {what} "
        f"(95 % interval {_pct(low)}-{_pct(high)} over {result.runs} runs)"
    )


def _raise(failing: list[str], rehearsal: Rehearsal, headline: str) -> None:
    if not failing:
        return
    findings = [
        f"  {release.name}: {finding.render()}"
        for release in rehearsal.releases
        for finding in release.findings
    ]
    text = "\n".join([f"{headline} ({len(failing)}):", *failing])
    if findings:
        text += "\nfindings:\n" + "\n".join(findings)
    raise AssertionError(text)


def _pct(share: float) -> str:
    percent = share * 100
    return f"{percent:.0f} %" if percent == round(percent) else f"{percent:.1f} %"
