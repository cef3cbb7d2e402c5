"""How traffic moves to a new version: canary, linear, all at once, a named config, or none."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import Duration
from aws_cdk import aws_codedeploy as codedeploy

from constructs_pkg import defaults, limits
from constructs_pkg._validation import (
    check_duration,
    check_name,
    check_number,
    check_type,
    is_unresolved,
)
from constructs_pkg.assembly.records import RolloutRecord
from constructs_pkg.errors import ConfigurationError

__all__ = ["Rollout", "RolloutStep"]

RolloutKind = Literal["canary", "linear", "all_at_once", "named", "disabled"]
#: CodeDeploy deployment config names: 1-100 letters, digits, '.', '_' or '-'.
_CONFIG_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")

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
    (``CodeDeployDefault.LambdaCanary10Percent10Minutes`` ...) use it by name; any
    other shape becomes one ``AWS::CodeDeploy::DeploymentConfig`` per stack, shared
    by every function that uses it.

    Every rollout but :meth:`disabled` ends with a **bake**: after the last shift the
    deployment stays open for ``bake`` (default 8 minutes) while a managed
    AfterAllowTraffic hook watches the deployment group's alarms and fails the
    deployment, which rolls it back, when one fires. Without it, CodeDeploy stops
    watching at the last shift, and a bad version whose alarm fires a minute later stays
    at 100 %. ``bake=Duration.minutes(0)`` turns it off.

    Examples
    --------
    >>> from aws_cdk import Duration
    >>> Rollout.canary(percent=10, interval=Duration.minutes(5)).describe()
    'canary: 10% for 5 minutes, then 100%; 8-minute bake'
    >>> Rollout.all_at_once(bake=Duration.minutes(0)).describe()
    'all at once: 100% immediately; no bake'
    >>> Rollout.linear(percent=25, every=Duration.minutes(2)).predefined_name is None
    True
    """

    kind: RolloutKind
    percent: int = 100
    interval_minutes: int = 0
    #: For ``named``: the deployment config's name (a token for an imported config).
    config_name: str | None = None
    #: For ``named`` from :meth:`from_config`: the config object itself.
    config: codedeploy.ILambdaDeploymentConfig | None = field(default=None, compare=False)
    #: Minutes the deployment stays open after the last shift with the alarms watched
    #: (None: the library default, :data:`constructs_pkg.defaults.BAKE_MINUTES`).
    bake_minutes: int | None = None

    #: How the boundary's errors show a Rollout.
    __example__ = "Rollout.canary()"

    def __post_init__(self) -> None:
        self._check_bake()
        if self.kind not in ("canary", "linear", "all_at_once", "named", "disabled"):
            raise ConfigurationError(
                "Rollout(kind)",
                self.kind,
                "'canary', 'linear', 'all_at_once', 'named' or 'disabled' (use the factories: "
                "Rollout.canary(), Rollout.linear(), ...)",
            )
        if self.kind in ("all_at_once", "named", "disabled"):
            if (self.percent, self.interval_minutes) != (100, 0):
                raise ConfigurationError(
                    f"Rollout(kind={self.kind!r})",
                    {"percent": self.percent, "interval_minutes": self.interval_minutes},
                    "no percent or interval (the shape is fixed, or the named config's)",
                )
            if (self.kind == "named") != (self.config_name is not None):
                raise ConfigurationError(
                    f"Rollout(kind={self.kind!r})",
                    self.config_name,
                    "a config name for kind 'named' only (use Rollout.named(...))",
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
        bake: Duration | None = None,
    ) -> Rollout:
        """Shift ``percent`` % to the new version, wait ``interval``, then shift the rest.

        Parameters
        ----------
        percent
            Whole number from 1 to 99. Default: 10.
        interval
            Whole minutes, 1 minute to 2880 minutes. Default: 10 minutes.
        bake
            How long the alarms keep watching after the shift to 100 %: whole minutes, 0 to
            12. Default: 8 minutes.
        """
        interval = (
            interval if interval is not None else Duration.minutes(defaults.CANARY_INTERVAL_MINUTES)
        )
        shaped = cls._shaped("canary", "Rollout.canary", percent, "interval", interval)
        return shaped.with_bake(bake, "Rollout.canary(bake)")

    @classmethod
    def linear(
        cls,
        *,
        percent: int = defaults.LINEAR_PERCENT,
        every: Duration | None = None,
        bake: Duration | None = None,
    ) -> Rollout:
        """Shift ``percent`` % more to the new version every ``every`` until it has 100 %.

        Parameters
        ----------
        percent
            Whole number from 1 to 99. Default: 10.
        every
            Whole minutes, 1 minute to 2880 minutes. Default: 1 minute.
        bake
            As for :meth:`canary`. Default: 8 minutes.
        """
        every = every if every is not None else Duration.minutes(defaults.LINEAR_INTERVAL_MINUTES)
        shaped = cls._shaped("linear", "Rollout.linear", percent, "every", every)
        return shaped.with_bake(bake, "Rollout.linear(bake)")

    @classmethod
    def all_at_once(cls, *, bake: Duration | None = None) -> Rollout:
        """Shift all traffic at once (``CodeDeployDefault.LambdaAllAtOnce``).

        Alarms and smoke tests still run, and the bake keeps the alarms watching after the
        shift; there is just no period in which only part of the traffic reaches the new
        version.

        Parameters
        ----------
        bake
            As for :meth:`canary`. Default: 8 minutes.
        """
        return cls("all_at_once").with_bake(bake, "Rollout.all_at_once(bake)")

    @classmethod
    def named(cls, name: str, *, bake: Duration | None = None) -> Rollout:
        """Use the CodeDeploy deployment config called ``name`` (predefined or your own).

        A predefined ``CodeDeployDefault.Lambda*`` name becomes the rollout of that shape (so
        the plan, the rehearsal and the checks know it); any other name is used as it is,
        its shape unknown at synth time.

        Parameters
        ----------
        name
            The deployment config's name.
        bake
            As for :meth:`canary`. Default: 8 minutes.

        Examples
        --------
        >>> Rollout.named("CodeDeployDefault.LambdaCanary10Percent10Minutes") == Rollout.canary()
        True
        >>> Rollout.named("Acme.Lambda.Canary5Percent20Minutes").describe()
        'CodeDeploy config Acme.Lambda.Canary5Percent20Minutes (shape not known at synth); 8-minute bake'
        """  # noqa: E501
        check_name(
            "Rollout.named(name)",
            name,
            _CONFIG_NAME,
            "a deployment config name: 1-100 letters, digits, '.', '_' or '-'",
            tokens="reject",
        )
        shape = _BY_NAME.get(name)
        found = shape if shape is not None else cls("named", config_name=name)
        return found.with_bake(bake, "Rollout.named(bake)")

    @classmethod
    def from_config(
        cls, config: codedeploy.ILambdaDeploymentConfig, *, bake: Duration | None = None
    ) -> Rollout:
        """Use an existing deployment config object (``LambdaDeploymentConfig`` or imported).

        ``bake`` as for :meth:`canary` (default 8 minutes).
        """
        check_type("Rollout.from_config(config)", config, codedeploy.ILambdaDeploymentConfig)
        name = config.deployment_config_name
        shape = None if is_unresolved(name) else _BY_NAME.get(name)
        found = shape if shape is not None else cls("named", config_name=name, config=config)
        return found.with_bake(bake, "Rollout.from_config(bake)")

    def with_bake(self, bake: Duration | None, argument: str = "bake") -> Rollout:
        """Return this rollout with a ``bake`` (None: the library default), checked."""
        if bake is None:
            return self
        check_duration(
            argument,
            bake,
            minimum_seconds=0,
            maximum_seconds=limits.BAKE_MAX_MINUTES * 60,
            whole="minutes",
            tokens="reject",
        )
        return dataclasses.replace(self, bake_minutes=int(bake.to_minutes()))

    @classmethod
    def disabled(cls) -> Rollout:
        """No CodeDeploy deployment: CloudFormation moves the alias at once, nothing rolls back.

        For a function whose versions must never run side by side and that accepts the
        risk: no canary, no rollback on alarm, no smoke test. SafeFunction warns at synth,
        and the deployment-safety rule ``AliasWithoutDeploymentGroup`` reports it until it
        is acknowledged with a reason.
        """
        return cls("disabled")

    def _check_bake(self) -> None:
        if self.bake_minutes is None:
            return
        if self.kind == "disabled" and self.bake_minutes:
            raise ConfigurationError(
                "Rollout.disabled(bake)",
                self.bake_minutes,
                "no bake (there is no deployment to keep open)",
            )
        check_number(
            "Rollout(bake_minutes)",
            self.bake_minutes,
            minimum=0,
            maximum=limits.BAKE_MAX_MINUTES,
            whole=True,
            tokens="reject",
        )
        object.__setattr__(self, "bake_minutes", int(self.bake_minutes))

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
        if self.kind in ("named", "disabled"):
            return None
        if self.kind == "all_at_once":
            return "CodeDeployDefault.LambdaAllAtOnce"
        config = _PREDEFINED.get((self.kind, self.percent, self.interval_minutes))
        return None if config is None else str(config.deployment_config_name)

    @property
    def config_id(self) -> str:
        """Construct id used for a custom deployment config of this shape."""
        if self.kind == "all_at_once":
            return "AllAtOnce"
        if self.kind == "named":
            return f"Named{self.config_name}"
        return f"{self.kind.capitalize()}{self.percent}Percent{self.interval_minutes}Minutes"

    @property
    def shape_known(self) -> bool:
        """False for a named config this library does not know the shape of."""
        return self.kind != "named"

    def timeline(self) -> list[RolloutStep]:
        """Traffic on the new version over time, from the start of the deployment.

        Empty for a named config of unknown shape.
        """
        if self.kind == "named":
            return []
        if self.kind in ("all_at_once", "disabled"):
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
    def shift_minutes(self) -> int:
        """Minutes from the first shift to 100 % (0 for all at once or an unknown shape)."""
        timeline = self.timeline()
        return timeline[-1].minute if timeline else 0

    @property
    def bake(self) -> int:
        """Minutes of bake in force: ``bake_minutes``, else the default (0 when disabled)."""
        if self.kind == "disabled":
            return 0
        return defaults.BAKE_MINUTES if self.bake_minutes is None else self.bake_minutes

    @property
    def total_minutes(self) -> int:
        """Minutes from the first shift to the end of the bake (0 for an unknown shape)."""
        return self.shift_minutes + self.bake if self.shape_known else 0

    def describe(self) -> str:
        """One line for humans: ``canary: 10% for 10 minutes, then 100%; 8-minute bake``."""
        if self.kind == "disabled":
            return "disabled: CloudFormation moves the alias at once, no CodeDeploy, no rollback"
        bake = f"; {self.bake}-minute bake" if self.bake else "; no bake"
        if self.kind == "all_at_once":
            return "all at once: 100% immediately" + bake
        if self.kind == "named":
            return f"CodeDeploy config {self.config_name} (shape not known at synth)" + bake
        unit = "minute" if self.interval_minutes == 1 else "minutes"
        if self.kind == "canary":
            return f"canary: {self.percent}% for {self.interval_minutes} {unit}, then 100%" + bake
        return (
            f"linear: +{self.percent}% every {self.interval_minutes} {unit}, "
            f"100% after {self.shift_minutes} minutes" + bake
        )

    def record(self) -> RolloutRecord:
        """Return the rollout as tools read it (part of the release metadata record)."""
        return RolloutRecord(
            kind=self.kind,
            percent=self.percent,
            interval_minutes=self.interval_minutes,
            description=self.describe(),
            timeline=tuple((step.minute, step.percent) for step in self.timeline()),
            bake_minutes=self.bake,
        )

    def traffic_routing(self) -> codedeploy.TrafficRouting:
        """Return the CodeDeploy traffic routing for a custom deployment config of this shape."""
        if self.kind in ("named", "disabled"):
            raise ValueError(f"a {self.kind} rollout has no traffic routing of its own")
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
        if self.kind in ("named", "disabled"):
            return None
        if self.kind == "all_at_once":
            return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE
        return _PREDEFINED.get((self.kind, self.percent, self.interval_minutes))


#: Predefined config name -> the rollout of that shape.
_BY_NAME: dict[str, Rollout] = {
    "CodeDeployDefault.LambdaAllAtOnce": Rollout("all_at_once"),
    **{
        str(config.deployment_config_name): Rollout(kind, percent, minutes)
        for (kind, percent, minutes), config in _PREDEFINED.items()
    },
}
