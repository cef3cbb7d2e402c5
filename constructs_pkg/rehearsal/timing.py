"""The timing assumptions of the rehearsal: what AWS does not document, written down.

Every figure the rehearsal prints depends on these; they are printed with it. The defaults
and where each comes from are in ``docs/rehearsal.md``. Standard library only.

Examples
--------
>>> Timing().publish_delay_seconds
(30.0, 150.0)
>>> Timing(shift_back_seconds=-1)
Traceback (most recent call last):
...
constructs_pkg.errors.ConfigurationError: Timing(shift_back_seconds)=-1 is not allowed: \
expected a number of seconds from 0 to 3600.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from constructs_pkg._text import number
from constructs_pkg.errors import ConfigurationError

__all__ = ["Timing"]

_HOUR = 3600.0


@dataclass(frozen=True)
class Timing:
    """When metrics, alarms and CodeDeploy act, as the rehearsal assumes.

    Parameters
    ----------
    publish_delay_min_seconds, publish_delay_max_seconds
        A minute's Lambda datapoint becomes visible to alarms this long after the minute
        ends, uniformly in between (one delay per minute, shared by all its metrics).
        Default: 30 to 150 s. AWS documents only that it "can be several minutes".
    alarm_evaluation_minutes
        Every alarm is evaluated once per this many minutes, at a random second. Default: 1.
    codedeploy_poll_minutes
        CodeDeploy reads the deployment group's alarm states once per this many minutes, at
        a random second, from the start of the deployment to its end. Default: 1.
    shift_back_seconds
        Time from CodeDeploy seeing an alarm to all traffic being back on the old version.
        Default: 10 s.
    before_traffic_hook_seconds, after_traffic_hook_seconds
        How long a BeforeAllowTraffic / AfterAllowTraffic hook runs before it reports
        Succeeded (only for a group that has one). The BeforeAllowTraffic hook is assumed to
        pass (a smoke test cannot catch every bad version). Default: 30 s each.
    evaluation_range_extra
        An alarm retrieves this many datapoints beyond ``EvaluationPeriods`` (its
        *evaluation range*), as in the CloudWatch documentation's example (3 -> 5).
        Default: 2.
    """

    publish_delay_min_seconds: float = 30.0
    publish_delay_max_seconds: float = 150.0
    alarm_evaluation_minutes: int = 1
    codedeploy_poll_minutes: int = 1
    shift_back_seconds: float = 10.0
    before_traffic_hook_seconds: float = 30.0
    after_traffic_hook_seconds: float = 30.0
    evaluation_range_extra: int = 2

    def __post_init__(self) -> None:
        for name in (
            "publish_delay_min_seconds",
            "publish_delay_max_seconds",
            "shift_back_seconds",
            "before_traffic_hook_seconds",
            "after_traffic_hook_seconds",
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0 <= value <= _HOUR
            ):
                raise ConfigurationError(
                    f"Timing({name})", value, "a number of seconds from 0 to 3600"
                )
            object.__setattr__(self, name, float(value))
        if self.publish_delay_min_seconds > self.publish_delay_max_seconds:
            raise ConfigurationError(
                "Timing(publish_delay_min_seconds)",
                self.publish_delay_min_seconds,
                f"at most publish_delay_max_seconds ({number(self.publish_delay_max_seconds)})",
            )
        for name, low, high in (
            ("alarm_evaluation_minutes", 1, 60),
            ("codedeploy_poll_minutes", 1, 60),
            ("evaluation_range_extra", 0, 10),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigurationError(
                    f"Timing({name})", value, f"a whole number from {low} to {high}"
                )

    @property
    def publish_delay_seconds(self) -> tuple[float, float]:
        """The publication delay range (min, max) in seconds."""
        return (self.publish_delay_min_seconds, self.publish_delay_max_seconds)

    def describe(self) -> list[str]:
        """One line per assumption, as the rehearsal prints them."""
        low, high = (number(v) for v in self.publish_delay_seconds)
        return [
            f"a minute's Lambda datapoint is visible {low}-{high} s (uniform) after the minute",
            f"alarms are evaluated every {_minutes(self.alarm_evaluation_minutes)}",
            f"CodeDeploy reads alarm states every {_minutes(self.codedeploy_poll_minutes)}",
            f"shifting traffic back takes {number(self.shift_back_seconds)} s",
            f"a BeforeAllowTraffic hook passes after {number(self.before_traffic_hook_seconds)} s,"
            f" an AfterAllowTraffic hook after {number(self.after_traffic_hook_seconds)} s",
            "a bake hook (BAKE_SECONDS in its environment) passes after its bake (plus the "
            "AfterAllowTraffic time when it runs a smoke test first); the rollback alarms "
            "are read once a minute during the bake, as during the shifts (the hook's own "
            "20-second reads are not counted)",
            f"an alarm retrieves EvaluationPeriods + {self.evaluation_range_extra} datapoints "
            "(its evaluation range)",
        ]

    def to_json(self) -> dict[str, float]:
        """Return the assumptions as a JSON object."""
        return {
            "publish_delay_min_seconds": self.publish_delay_min_seconds,
            "publish_delay_max_seconds": self.publish_delay_max_seconds,
            "alarm_evaluation_minutes": self.alarm_evaluation_minutes,
            "codedeploy_poll_minutes": self.codedeploy_poll_minutes,
            "shift_back_seconds": self.shift_back_seconds,
            "before_traffic_hook_seconds": self.before_traffic_hook_seconds,
            "after_traffic_hook_seconds": self.after_traffic_hook_seconds,
            "evaluation_range_extra": self.evaluation_range_extra,
        }


def _minutes(count: int) -> str:
    return "minute" if count == 1 else f"{count} minutes"
