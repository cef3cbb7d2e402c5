"""Rehearsal results: per release and scenario, the figures a release owner needs.

Standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from constructs_pkg._text import number
from constructs_pkg.rehearsal.codedeploy import PREDEFINED
from constructs_pkg.rehearsal.model import CompositeAlarm, Release
from constructs_pkg.rehearsal.simulate import Outcomes
from constructs_pkg.rehearsal.timing import Timing
from constructs_pkg.rehearsal.traffic import Fault, TrafficModel

__all__ = ["Rehearsal", "ScenarioResult", "wilson_interval"]

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class ScenarioResult:
    """One release rehearsed under one fault at one request rate.

    Attributes
    ----------
    release
        The release's name (the SafeFunction path, else ``<stack>/<alias logical id>``).
    fault, rate, runs
        The scenario and the number of simulated releases.
    p_rollback
        Share of releases CodeDeploy rolled back (for a healthy version: false rollbacks).
    p_stopped
        Share stopped by an alarm without automatic rollback (traffic left where it was).
    p_promoted
        Share promoted to 100 % and left there (the deployment succeeded).
    p_past_first_step
        Share that reached the second traffic step (None for all at once).
    rollback_minutes_p50, rollback_minutes_p90
        Minutes from the first request on the new version to all traffic back on the old
        one, over the rolled-back releases (None without any).
    served_p50, failed_p50, served_p90, failed_p90
        Requests the new version served, and how many of them failed, before the rollback
        (over rolled-back releases; None without any).
    served_promoted_p50
        Requests the new version served during the deployment when it was promoted.
    deployment_minutes_p50
        Minutes from the start of the deployment to its end (success, stop or rollback).
    """

    release: str
    fault: str
    healthy: bool
    rate: float
    runs: int
    p_rollback: float
    p_stopped: float
    p_promoted: float
    p_past_first_step: float | None
    rollback_minutes_p50: float | None
    rollback_minutes_p90: float | None
    served_p50: float | None
    served_p90: float | None
    failed_p50: float | None
    failed_p90: float | None
    served_promoted_p50: float | None
    deployment_minutes_p50: float

    @classmethod
    def of(cls, release: str, fault: Fault, rate: float, outcomes: Outcomes) -> ScenarioResult:
        """Summarize the outcomes of ``outcomes.runs`` simulated releases."""
        runs = outcomes.runs
        back = [i for i in range(runs) if outcomes.rolled_back[i]]
        promoted = [
            i for i in range(runs) if not outcomes.rolled_back[i] and not outcomes.stopped[i]
        ]
        minutes = [outcomes.seconds_to_rollback[i] / 60 for i in back]
        return cls(
            release=release,
            fault=fault.name,
            healthy=fault.healthy,
            rate=rate,
            runs=runs,
            p_rollback=len(back) / runs,
            p_stopped=sum(outcomes.stopped) / runs,
            p_promoted=len(promoted) / runs,
            p_past_first_step=(
                None if outcomes.past_first_step is None else sum(outcomes.past_first_step) / runs
            ),
            rollback_minutes_p50=_quantile(minutes, 0.5),
            rollback_minutes_p90=_quantile(minutes, 0.9),
            served_p50=_quantile([outcomes.served[i] for i in back], 0.5),
            served_p90=_quantile([outcomes.served[i] for i in back], 0.9),
            failed_p50=_quantile([outcomes.failed[i] for i in back], 0.5),
            failed_p90=_quantile([outcomes.failed[i] for i in back], 0.9),
            served_promoted_p50=_quantile([outcomes.served[i] for i in promoted], 0.5),
            deployment_minutes_p50=_quantile([s / 60 for s in outcomes.deployment_seconds], 0.5)
            or 0.0,
        )

    @property
    def p_false_rollback(self) -> float | None:
        """For a healthy version, the share wrongly rolled back; else None."""
        return self.p_rollback if self.healthy else None

    def interval(self) -> tuple[float, float]:
        """95 % Wilson interval of ``p_rollback`` (how sure the figure is at this run count)."""
        return wilson_interval(round(self.p_rollback * self.runs), self.runs)

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON object."""
        low, high = self.interval()
        return {
            "release": self.release,
            "fault": self.fault,
            "rate": self.rate,
            "runs": self.runs,
            "p_rollback": self.p_rollback,
            "p_rollback_ci95": [low, high],
            "p_false_rollback": self.p_false_rollback,
            "p_stopped": self.p_stopped,
            "p_promoted": self.p_promoted,
            "p_past_first_step": self.p_past_first_step,
            "rollback_minutes_p50": self.rollback_minutes_p50,
            "rollback_minutes_p90": self.rollback_minutes_p90,
            "served_before_rollback_p50": self.served_p50,
            "served_before_rollback_p90": self.served_p90,
            "failed_before_rollback_p50": self.failed_p50,
            "failed_before_rollback_p90": self.failed_p90,
            "served_when_promoted_p50": self.served_promoted_p50,
            "deployment_minutes_p50": self.deployment_minutes_p50,
        }


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion.

    Examples
    --------
    >>> low, high = wilson_interval(1000, 1000)
    >>> round(low, 4), high
    (0.9962, 1.0)
    >>> wilson_interval(0, 1000)[0]
    0.0
    """
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + _Z95**2 / trials
    centre = (p + _Z95**2 / (2 * trials)) / denominator
    spread = _Z95 * math.sqrt(p * (1 - p) / trials + _Z95**2 / (4 * trials * trials)) / denominator
    # At 0 or all successes the bound is exactly 0 or 1 (not 3e-18 of rounding).
    low = 0.0 if successes <= 0 else max(0.0, centre - spread)
    high = 1.0 if successes >= trials else min(1.0, centre + spread)
    return (low, high)


@dataclass
class Rehearsal:
    """Everything a rehearsal found and measured, ready to print or serialize."""

    directory: str
    releases: list[Release]
    results: list[ScenarioResult]
    runs: int
    seed: int
    engine: str
    timing: Timing
    traffic: TrafficModel
    seconds: float = 0.0
    rates: list[float] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def result(self, release: str, fault: str, rate: float) -> ScenarioResult:
        """Return the result of one release, fault (its name, e.g. ``errors=5%``) and rate."""
        for result in self.results:
            if result.release == release and result.fault == fault and result.rate == rate:
                return result
        raise KeyError(f"no result for {release} / {fault} / {number(rate)} req/s")

    def for_release(self, release: str) -> list[ScenarioResult]:
        """Every result of one release, in the order they were run."""
        return [r for r in self.results if r.release == release]

    def render(self) -> str:
        """Render the human-readable report (``constructs-pkg rehearse``)."""
        lines = [
            f"Rehearsal of {self.directory}: {len(self.releases)} release(s) x "
            f"{len(self.rates)} rate(s) x {len(self.faults)} fault(s), {self.runs} runs each, "
            f"seed {self.seed} ({self.engine} engine, {self.seconds:.1f} s)",
            "Assumptions (not AWS facts; see docs/rehearsal.md):",
            *(f"  - {line}" for line in self.timing.describe()),
            *(f"  - {line}" for line in self.traffic.describe()),
        ]
        for release in self.releases:
            lines.append("")
            lines.extend(_release_lines(release))
            results = self.for_release(release.name)
            if results:
                lines.extend(_table(results))
            elif release.shape is None:
                lines.append("  not rehearsed: its traffic shape is unknown (see findings)")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Return the report as a JSON object (``constructs-pkg rehearse --json``)."""
        return {
            "assembly": self.directory,
            "runs": self.runs,
            "seed": self.seed,
            "engine": self.engine,
            "seconds": round(self.seconds, 3),
            "assumptions": {"timing": self.timing.to_json(), "traffic": self.traffic.to_json()},
            "releases": [
                {
                    "release": release.name,
                    "stack": release.stack,
                    "alias": release.alias_id,
                    "deployment_group": release.group_id,
                    "rollout": None if release.shape is None else release.shape.describe(),
                    "deployment_config": None if release.shape is None else release.shape.name,
                    "hooks": _hooks(release),
                    "bake_seconds": release.bake_seconds,
                    "alarms_enabled": release.alarms_enabled,
                    "rollback_on_alarm": release.rollback_on_alarm,
                    "alarms": [release.alarms[key].name for key in release.watched],
                    "findings": [
                        {"kind": f.kind, "subject": f.subject, "message": f.message}
                        for f in release.findings
                    ],
                    "scenarios": [r.to_json() for r in self.for_release(release.name)],
                }
                for release in self.releases
            ],
        }


def _hooks(release: Release) -> list[str]:
    return [
        name
        for name, present in (
            ("BeforeAllowTraffic", release.before_hook),
            ("AfterAllowTraffic", release.after_hook),
        )
        if present
    ]


def _release_lines(release: Release) -> list[str]:
    shape = "unknown rollout" if release.shape is None else release.shape.describe()
    config = ""
    if release.shape is not None:
        custom = release.shape.name not in PREDEFINED
        config = f" ({'custom config ' if custom else ''}{release.shape.name})"
    hooks = _hooks(release)
    if release.bake_seconds is not None and hooks and hooks[-1] == "AfterAllowTraffic":
        hooks[-1] = f"AfterAllowTraffic ({release.bake_seconds / 60:g}-minute bake)"
    watched = [release.alarms[key] for key in release.watched]
    composite = sum(isinstance(a, CompositeAlarm) for a in watched)
    alarms = f"{len(watched)} alarm(s)" + (f", {composite} composite" if composite else "")
    if not release.alarms_enabled:
        alarms += " (NOT WATCHED)"
    lines = [
        f"{release.name}  {shape}{config}; "
        + (f"{' + '.join(hooks)} hook(s); " if hooks else "no hooks; ")
        + alarms
    ]
    lines.extend(f"  ! {finding.render()}" for finding in release.findings)
    return lines


_HEADER = (
    ("fault", 12),
    ("req/s", 6),
    ("rolled back", 12),
    ("p50 / p90 min", 14),
    ("served (failed) before", 22),
    ("past step 1", 12),
    ("promoted", 9),
)


def _table(results: list[ScenarioResult]) -> list[str]:
    rows = [[name for name, _ in _HEADER]]
    for r in results:
        times = (
            f"{r.rollback_minutes_p50:.1f} / {r.rollback_minutes_p90:.1f}"
            if r.rollback_minutes_p50 is not None and r.rollback_minutes_p90 is not None
            else "-"
        )
        served = (
            f"{_count(r.served_p50)} ({_count(r.failed_p50)})" if r.served_p50 is not None else "-"
        )
        rolled = _share(r.p_rollback) + (" false" if r.healthy else "")
        if r.p_stopped:
            rolled += f" +{_share(r.p_stopped)} stopped"
        rows.append(
            [
                r.fault,
                number(r.rate),
                rolled,
                times,
                served,
                "-" if r.p_past_first_step is None else _share(r.p_past_first_step),
                _share(r.p_promoted),
            ]
        )
    widths = [max(width, *(len(row[i]) for row in rows)) for i, (_, width) in enumerate(_HEADER)]
    return [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _share(value: float) -> str:
    percent = value * 100
    if percent in (0, 100):
        return f"{percent:.0f}%"
    if percent < 1 or percent > 99:
        return f"{percent:.1f}%"
    return f"{percent:.0f}%"


def _count(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _quantile(values: list[float], q: float) -> float | None:
    clean = sorted(v for v in values if not math.isnan(v))
    if not clean:
        return None
    position = q * (len(clean) - 1)
    low = math.floor(position)
    high = min(low + 1, len(clean) - 1)
    return clean[low] + (clean[high] - clean[low]) * (position - low)
