"""CodeDeploy's side of a Lambda release: traffic shapes, and how fast alarms can stop one.

* :class:`TrafficShape` and :data:`PREDEFINED`: every predefined ``CodeDeployDefault.Lambda*``
  configuration, and custom ``TrafficRoutingConfig`` shapes, as a timeline of shifts
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html).
* :func:`detection_window` / :func:`alarm_timing_warning`: the pure functions behind the
  synth-time warning "your alarms cannot fire in time", from the same timing model the
  rehearsal simulates (:class:`~constructs_pkg.rehearsal.timing.Timing`).

Standard library only.

Examples
--------
>>> PREDEFINED["CodeDeployDefault.LambdaLinear10PercentEvery1Minute"].steps()[:2]
[(0, 0.1), (1, 0.2)]
>>> window = detection_window(period_seconds=60, datapoints_to_alarm=1)
>>> window.fastest_seconds, window.slowest_seconds
(40.0, 340.0)
>>> alarm_timing_warning(window_seconds=300, period_seconds=60, datapoints_to_alarm=1)
... # doctest: +ELLIPSIS
'rollback alarms can take up to 5.67 min to stop a version that fails every request ...'
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_pkg._shifts import describe_shifts, shift_timeline
from constructs_pkg._text import approx_duration
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.rehearsal.timing import Timing

__all__ = [
    "PREDEFINED",
    "DetectionWindow",
    "TrafficShape",
    "alarm_timing_warning",
    "detection_window",
]


@dataclass(frozen=True)
class TrafficShape:
    """A deployment configuration's traffic routing.

    ``kind`` is ``canary``, ``linear`` or ``all_at_once``; ``percent`` the step size and
    ``interval_minutes`` the wait between steps; ``name`` the configuration name.
    """

    kind: str
    percent: float
    interval_minutes: int
    name: str

    def steps(self) -> list[tuple[int, float]]:
        """(minute after the first shift, share of traffic on the new version) of each shift."""
        return [
            (minute, percent / 100)
            for minute, percent in shift_timeline(self.kind, self.percent, self.interval_minutes)
        ]

    @property
    def total_minutes(self) -> int:
        """Minutes from the first shift to 100 %."""
        return self.steps()[-1][0]

    def describe(self) -> str:
        """``canary: 10% for 5 minutes, then 100%`` and so on."""
        return describe_shifts(self.kind, self.percent, self.interval_minutes)


def _predefined() -> dict[str, TrafficShape]:
    shapes = {"CodeDeployDefault.LambdaAllAtOnce": TrafficShape("all_at_once", 100, 0, "")}
    for minutes in (5, 10, 15, 30):
        shapes[f"CodeDeployDefault.LambdaCanary10Percent{minutes}Minutes"] = TrafficShape(
            "canary", 10, minutes, ""
        )
    for minutes in (1, 2, 3, 10):
        unit = "Minute" if minutes == 1 else "Minutes"
        shapes[f"CodeDeployDefault.LambdaLinear10PercentEvery{minutes}{unit}"] = TrafficShape(
            "linear", 10, minutes, ""
        )
    return {
        name: TrafficShape(s.kind, s.percent, s.interval_minutes, name)
        for name, s in shapes.items()
    }


#: Every predefined CodeDeploy configuration for Lambda, by name.
PREDEFINED: dict[str, TrafficShape] = _predefined()


@dataclass(frozen=True)
class DetectionWindow:
    """How long rollback alarms take to stop a version that fails every request.

    Measured from the first request the new version serves to all traffic being back on
    the old version, when every period with traffic breaches (a version that fails every
    call at a rate where every minute has requests).

    Attributes
    ----------
    fastest_seconds
        The first request lands at the very end of a period, the data is published as fast
        as assumed, the alarm and CodeDeploy look at once.
    slowest_seconds
        The first request opens a period, the data is as late as assumed, the alarm and
        CodeDeploy look just before it arrives.
    """

    fastest_seconds: float
    slowest_seconds: float

    def covers(self, window_seconds: float) -> bool:
        """Return True when even the slowest detection ends within ``window_seconds``."""
        return self.slowest_seconds <= window_seconds


def detection_window(
    *,
    period_seconds: float = 60,
    datapoints_to_alarm: int = 1,
    timing: Timing | None = None,
) -> DetectionWindow:
    """Return the :class:`DetectionWindow` of an alarm configuration under ``timing``.

    Parameters
    ----------
    period_seconds
        The alarm's ``Period`` (a whole number of minutes, in seconds). Default: 60.
    datapoints_to_alarm
        M: breaching datapoints needed (``DatapointsToAlarm``, else ``EvaluationPeriods``).
        Default: 1.
    timing
        The timing assumptions. Default: :class:`Timing` defaults.

    Notes
    -----
    slowest = M x period + latest publication + one alarm evaluation interval + one
    CodeDeploy poll interval + shift back; fastest = (M - 1) x period + earliest
    publication + shift back. A low request rate, percentile alarms that ignore low sample
    counts and minimum-error guards make the real delay longer; the rehearsal measures that.
    """
    timing = timing or Timing()
    if (
        isinstance(period_seconds, bool)
        or not isinstance(period_seconds, int | float)
        or period_seconds < 60
        or period_seconds % 60
    ):
        raise ConfigurationError(
            "period_seconds", period_seconds, "a whole number of minutes in seconds (60, 120, ...)"
        )
    if (
        isinstance(datapoints_to_alarm, bool)
        or not isinstance(datapoints_to_alarm, int)
        or datapoints_to_alarm < 1
    ):
        raise ConfigurationError("datapoints_to_alarm", datapoints_to_alarm, "a whole number >= 1")
    m = datapoints_to_alarm
    fastest = (m - 1) * period_seconds + timing.publish_delay_min_seconds
    slowest = (
        m * period_seconds
        + timing.publish_delay_max_seconds
        + 60 * timing.alarm_evaluation_minutes
        + 60 * timing.codedeploy_poll_minutes
    )
    return DetectionWindow(
        float(fastest + timing.shift_back_seconds), float(slowest + timing.shift_back_seconds)
    )


def alarm_timing_warning(
    *,
    window_seconds: float,
    period_seconds: float = 60,
    datapoints_to_alarm: int = 1,
    timing: Timing | None = None,
    window: str = "the first traffic step",
) -> str | None:
    """Return the synth-time warning when alarms cannot stop a bad version within a window.

    Parameters
    ----------
    window_seconds
        How long the alarms have: e.g. the canary interval (before 100 %), or the whole
        rollout plus any bake time (before the deployment ends and CodeDeploy stops
        watching). 0 for an all-at-once rollout without a bake.
    period_seconds, datapoints_to_alarm, timing
        As for :func:`detection_window`.
    window
        How the message names the window. Default: "the first traffic step".

    Returns
    -------
    str or None
        None when the slowest detection fits in the window, else one sentence that says by
        how much it does not.
    """
    found = detection_window(
        period_seconds=period_seconds, datapoints_to_alarm=datapoints_to_alarm, timing=timing
    )
    if found.covers(window_seconds):
        return None
    return (
        f"rollback alarms can take up to {approx_duration(found.slowest_seconds)} to stop a "
        f"version that fails every request ({datapoints_to_alarm} breaching "
        f"{approx_duration(period_seconds)} period(s), metrics published up to "
        f"{approx_duration((timing or Timing()).publish_delay_max_seconds)} late, alarm and "
        f"CodeDeploy polling), but {window} lasts {approx_duration(window_seconds)}: a bad "
        "version can move on before any alarm fires. Lengthen the step or add a bake period "
        "(constructs-pkg rehearse measures it)."
    )
