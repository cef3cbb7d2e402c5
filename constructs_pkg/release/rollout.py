"""How traffic moves from the old version to the new one: canary, linear or all at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_cdk import Duration
from aws_cdk import aws_codedeploy as codedeploy

from constructs_pkg import defaults, limits
from constructs_pkg._validation import check_duration, check_number
from constructs_pkg.assembly.records import RolloutRecord
from constructs_pkg.errors import ConfigurationError

__all__ = ["Rollout", "RolloutStep"]

RolloutKind = Literal["canary", "linear", "all_at_once"]

_PREDEFINED: dict[tuple[RolloutKind, int, int], codedeploy.ILambdaDeploymentConfig] = {
    ("canary", 10, 5): codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
    ("canary", 10, 10): codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_10_MINUTES,
    ("canary", 10, 15): codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_15_MINUTES,
    ("canary", 10, 30): codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_30_MINUTES,
    ("linear", 10, 1): codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE,
    ("linear", 10, 2): codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_2_MINUTES,
    ("linear", 10, 3): codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_3_MINUTES,
    ("linear", 10, 10): codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_10_MINUTES,
}


@dataclass(frozen=True)
class RolloutStep:
    """One point of a rollout timeline: at ``minute`` the new version gets ``percent`` %."""

    minute: int
    percent: int


@dataclass(frozen=True)
class Rollout:
    """A traffic-shifting strategy for CodeDeploy.

    Build one with :meth:`canary`, :meth:`linear` or :meth:`all_at_once`; the
    values are checked at once against CodeDeploy's limits (1-99 %, whole minutes,
    at most 2880 minutes). Shapes that match a CodeDeploy predefined configuration
    (``CodeDeployDefault.LambdaCanary10Percent5Minutes`` ...) use it by name; any
    other shape becomes one ``AWS::CodeDeploy::DeploymentConfig`` per stack, shared
    by every function that uses it.

    Examples
    --------
    >>> from aws_cdk import Duration
    >>> Rollout.canary(percent=10, interval=Duration.minutes(5)).describe()
    'canary: 10% for 5 minutes, then 100%'
    >>> Rollout.linear(percent=25, every=Duration.minutes(2)).predefined_name is None
    True
    """

    kind: RolloutKind
    percent: int = 100
    interval_minutes: int = 0

    #: How the boundary's errors show a Rollout.
    __example__ = "Rollout.canary()"

    def __post_init__(self) -> None:
        if self.kind not in ("canary", "linear", "all_at_once"):
            raise ConfigurationError(
                "Rollout(kind)", self.kind, "'canary', 'linear' or 'all_at_once'"
            )
        if self.kind == "all_at_once":
            if (self.percent, self.interval_minutes) != (100, 0):
                raise ConfigurationError(
                    "Rollout(kind='all_at_once')",
                    {"percent": self.percent, "interval_minutes": self.interval_minutes},
                    "no percent or interval (Rollout.all_at_once() shifts 100 % at once)",
                )
            return
        where = f"Rollout.{self.kind}"
        check_number(
            f"{where}(percent)",
            self.percent,
            minimum=limits.ROLLOUT_MIN_PERCENT,
            maximum=limits.ROLLOUT_MAX_PERCENT,
            whole=True,
            tokens="reject",
        )
        check_number(
            f"{where}(interval_minutes)",
            self.interval_minutes,
            minimum=1,
            maximum=limits.ROLLOUT_MAX_INTERVAL_MINUTES,
            whole=True,
            tokens="reject",
        )
        # A rollout is a value: its numbers are plain ints (5.0 becomes 5).
        object.__setattr__(self, "percent", int(self.percent))
        object.__setattr__(self, "interval_minutes", int(self.interval_minutes))

    @classmethod
    def canary(
        cls,
        *,
        percent: int = defaults.CANARY_PERCENT,
        interval: Duration | None = None,
    ) -> Rollout:
        """Shift ``percent`` % to the new version, wait ``interval``, then shift the rest.

        Parameters
        ----------
        percent
            Whole number from 1 to 99. Default: 10.
        interval
            Whole minutes, 1 minute to 2880 minutes. Default: 5 minutes.
        """
        interval = (
            interval if interval is not None else Duration.minutes(defaults.CANARY_INTERVAL_MINUTES)
        )
        return cls._shaped("canary", "Rollout.canary", percent, "interval", interval)

    @classmethod
    def linear(
        cls,
        *,
        percent: int = defaults.LINEAR_PERCENT,
        every: Duration | None = None,
    ) -> Rollout:
        """Shift ``percent`` % more to the new version every ``every`` until it has 100 %.

        Parameters
        ----------
        percent
            Whole number from 1 to 99. Default: 10.
        every
            Whole minutes, 1 minute to 2880 minutes. Default: 1 minute.
        """
        every = every if every is not None else Duration.minutes(defaults.LINEAR_INTERVAL_MINUTES)
        return cls._shaped("linear", "Rollout.linear", percent, "every", every)

    @classmethod
    def all_at_once(cls) -> Rollout:
        """Shift all traffic at once (``CodeDeployDefault.LambdaAllAtOnce``).

        Alarms and smoke tests still run; there is just no period in which only part
        of the traffic reaches the new version.
        """
        return cls("all_at_once")

    @classmethod
    def _shaped(
        cls, kind: RolloutKind, where: str, percent: int, interval_name: str, interval: Duration
    ) -> Rollout:
        check_number(
            f"{where}(percent)",
            percent,
            minimum=limits.ROLLOUT_MIN_PERCENT,
            maximum=limits.ROLLOUT_MAX_PERCENT,
            whole=True,
            tokens="reject",
        )
        check_duration(
            f"{where}({interval_name})",
            interval,
            minimum_seconds=60,
            maximum_seconds=limits.ROLLOUT_MAX_INTERVAL_MINUTES * 60,
            whole="minutes",
            tokens="reject",
        )
        return cls(kind, int(percent), int(interval.to_minutes()))  # percent checked above

    # --- what the rollout means -----------------------------------------------------------

    @property
    def predefined_name(self) -> str | None:
        """Name of the CodeDeploy predefined config this shape matches, if any."""
        if self.kind == "all_at_once":
            return "CodeDeployDefault.LambdaAllAtOnce"
        config = _PREDEFINED.get((self.kind, self.percent, self.interval_minutes))
        return None if config is None else str(config.deployment_config_name)

    @property
    def config_id(self) -> str:
        """Construct id used for a custom deployment config of this shape."""
        if self.kind == "all_at_once":
            return "AllAtOnce"
        return f"{self.kind.capitalize()}{self.percent}Percent{self.interval_minutes}Minutes"

    def timeline(self) -> list[RolloutStep]:
        """Traffic on the new version over time, from the start of the deployment."""
        if self.kind == "all_at_once":
            return [RolloutStep(0, 100)]
        if self.kind == "canary":
            return [RolloutStep(0, self.percent), RolloutStep(self.interval_minutes, 100)]
        steps = []
        share, minute = self.percent, 0
        while share < 100:
            steps.append(RolloutStep(minute, share))
            share += self.percent
            minute += self.interval_minutes
        steps.append(RolloutStep(minute, 100))
        return steps

    @property
    def bake_minutes(self) -> int:
        """Minutes from the first shift to 100 % (0 for all at once)."""
        return self.timeline()[-1].minute

    def describe(self) -> str:
        """One line for humans: ``canary: 10% for 5 minutes, then 100%``."""
        if self.kind == "all_at_once":
            return "all at once: 100% immediately"
        unit = "minute" if self.interval_minutes == 1 else "minutes"
        if self.kind == "canary":
            return f"canary: {self.percent}% for {self.interval_minutes} {unit}, then 100%"
        return (
            f"linear: +{self.percent}% every {self.interval_minutes} {unit}, "
            f"100% after {self.bake_minutes} minutes"
        )

    def record(self) -> RolloutRecord:
        """Return the rollout as tools read it (part of the release metadata record)."""
        return RolloutRecord(
            kind=self.kind,
            percent=self.percent,
            interval_minutes=self.interval_minutes,
            description=self.describe(),
            timeline=tuple((step.minute, step.percent) for step in self.timeline()),
        )

    def traffic_routing(self) -> codedeploy.TrafficRouting:
        """Return the CodeDeploy traffic routing for a custom deployment config of this shape."""
        if self.kind == "all_at_once":
            return codedeploy.TrafficRouting.all_at_once()
        interval = Duration.minutes(self.interval_minutes)
        if self.kind == "canary":
            return codedeploy.TrafficRouting.time_based_canary(
                interval=interval, percentage=self.percent
            )
        return codedeploy.TrafficRouting.time_based_linear(
            interval=interval, percentage=self.percent
        )

    def predefined_config(self) -> codedeploy.ILambdaDeploymentConfig | None:
        """Return the CodeDeploy predefined config, or None when a custom one is needed."""
        if self.kind == "all_at_once":
            return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE
        return _PREDEFINED.get((self.kind, self.percent, self.interval_minutes))
