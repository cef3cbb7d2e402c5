"""Traffic, faults and request durations: what the simulated releases are exposed to.

* Requests arrive on the alias as a Poisson process at R requests per second; each request
  runs the new version with the probability the alias weights give it at that instant.
  Errors and timeouts are independent per request.
* A :class:`Fault` describes the *new* version: ``healthy``, ``errors=P%``, ``latency=Fx``.
  The old version is always healthy.
* Durations are a log-normal *baseline* plus a small share of *slow outliers*, censored at
  the function timeout (a timed-out request is also an error). The baseline's p99 is set
  relative to the release's tightest duration alarm (see :class:`TrafficModel`).

Standard library only.

Examples
--------
>>> Fault.parse("errors=5%").error_rate
0.05
>>> Fault.parse("latency=3x").latency_factor
3.0
>>> [f.name for f in Fault.standard()]
['errors=100%', 'errors=5%', 'latency=3x', 'healthy']
>>> profile = DurationProfile(median_ms=100, sigma=0.5, outlier_rate=0, outlier_factor=10,
...                           timeout_ms=3000)
>>> round(profile.quantile(0.5))
100
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from constructs_pkg._text import number
from constructs_pkg.errors import ConfigurationError

__all__ = ["DurationProfile", "Fault", "TrafficModel", "parse_faults"]

_FAULT = re.compile(r"(errors)=(\d+(?:\.\d+)?)%|(latency)=(\d+(?:\.\d+)?)x|(healthy)")
#: z of the 99th percentile of a standard normal distribution.
_Z99 = 2.3263478740408408
_GRID = 4096


@dataclass(frozen=True)
class TrafficModel:
    """How healthy requests behave, and how the duration baseline is chosen.

    Parameters
    ----------
    healthy_error_rate
        Share of a healthy version's requests that fail. Default: 0.001 (0.1 %).
    slow_outlier_rate
        Share of requests that are slow outliers (cold starts, a slow dependency), for both
        versions and every fault. Default: 0.002 (0.2 %).
    slow_outlier_factor
        An outlier takes this many times as long as a baseline request. Default: 10.
    duration_sigma
        Shape (sigma of the logarithm) of the log-normal baseline. Default: 0.5, which puts
        the baseline p99 at 3.2x its median.
    baseline_p99_share
        The healthy baseline p99 is this share of the release's tightest duration alarm
        threshold (the alarm was set at twice the normal p99). Default: 0.5.
    baseline_p99_timeout_share
        Without a duration alarm, the baseline p99 is this share of the function timeout.
        Default: 0.25.
    baseline_p99_ms
        Set the baseline p99 in milliseconds instead of deriving it. Default: derived.
    """

    healthy_error_rate: float = 0.001
    slow_outlier_rate: float = 0.002
    slow_outlier_factor: float = 10.0
    duration_sigma: float = 0.5
    baseline_p99_share: float = 0.5
    baseline_p99_timeout_share: float = 0.25
    baseline_p99_ms: float | None = None

    def __post_init__(self) -> None:
        for name, low, high in (
            ("healthy_error_rate", 0.0, 1.0),
            ("slow_outlier_rate", 0.0, 1.0),
            ("slow_outlier_factor", 1.0, 1000.0),
            ("duration_sigma", 0.01, 3.0),
            ("baseline_p99_share", 0.001, 100.0),
            ("baseline_p99_timeout_share", 0.001, 1.0),
        ):
            _check_range(f"TrafficModel({name})", getattr(self, name), low, high)
        if self.baseline_p99_ms is not None:
            _check_range("TrafficModel(baseline_p99_ms)", self.baseline_p99_ms, 0.001, 9e5)

    def baseline(self, *, duration_threshold_ms: float | None, timeout_ms: float) -> float:
        """Return the healthy baseline p99 in milliseconds for one release."""
        if self.baseline_p99_ms is not None:
            return self.baseline_p99_ms
        if duration_threshold_ms is not None:
            return self.baseline_p99_share * duration_threshold_ms
        return self.baseline_p99_timeout_share * timeout_ms

    def profile(
        self, fault: Fault, *, baseline_p99_ms: float, timeout_ms: float
    ) -> DurationProfile:
        """Return the duration distribution of a version with ``fault``."""
        median = baseline_p99_ms / math.exp(_Z99 * self.duration_sigma)
        return DurationProfile(
            median_ms=median * fault.latency_factor,
            sigma=self.duration_sigma,
            outlier_rate=self.slow_outlier_rate,
            outlier_factor=self.slow_outlier_factor,
            timeout_ms=timeout_ms,
        )

    def error_rate(self, fault: Fault) -> float:
        """Share of a version's requests that end in a function error (before timeouts)."""
        return self.healthy_error_rate if fault.error_rate is None else fault.error_rate

    def describe(self) -> list[str]:
        """Describe the traffic model in words, as the rehearsal prints it."""
        return [
            "requests arrive on the alias as a Poisson process at the given rate; each one "
            "runs the new version with the probability the alias weights give it",
            f"healthy = {_percent(self.healthy_error_rate)} errors and "
            f"{_percent(self.slow_outlier_rate)} slow outliers "
            f"({number(self.slow_outlier_factor)}x slower); the old version is healthy",
            "errors=P% = the new version fails P% of requests; latency=Fx = every request "
            "of the new version takes F times as long; fails every call = errors=100% "
            "(its BeforeAllowTraffic smoke test is assumed to pass it)",
            f"durations: log-normal (sigma {number(self.duration_sigma)}) whose healthy p99 "
            + (
                f"is {number(self.baseline_p99_ms)} ms"
                if self.baseline_p99_ms is not None
                else f"is {_percent(self.baseline_p99_share)} of the release's tightest "
                "duration alarm threshold (else "
                f"{_percent(self.baseline_p99_timeout_share)} of the timeout)"
            )
            + ", censored at the timeout (a timeout is an error)",
        ]

    def to_json(self) -> dict[str, float | None]:
        """Return the model as a JSON object."""
        return {
            "healthy_error_rate": self.healthy_error_rate,
            "slow_outlier_rate": self.slow_outlier_rate,
            "slow_outlier_factor": self.slow_outlier_factor,
            "duration_sigma": self.duration_sigma,
            "baseline_p99_share": self.baseline_p99_share,
            "baseline_p99_timeout_share": self.baseline_p99_timeout_share,
            "baseline_p99_ms": self.baseline_p99_ms,
        }


@dataclass(frozen=True)
class Fault:
    """What is wrong with the new version.

    ``error_rate`` None means the healthy error rate; ``latency_factor`` multiplies every
    duration of the new version.
    """

    name: str
    error_rate: float | None = None
    latency_factor: float = 1.0

    @property
    def healthy(self) -> bool:
        """True for the healthy profile (a rollback is then a false rollback)."""
        return self.error_rate is None and self.latency_factor == 1.0

    @classmethod
    def parse(cls, text: str) -> Fault:
        """Parse ``errors=P%`` (0 < P <= 100), ``latency=Fx`` (F > 0) or ``healthy``."""
        match = _FAULT.fullmatch(text.strip())
        if match is None:
            raise ConfigurationError(
                "fault", text, "errors=P% (0 < P <= 100), latency=Fx (F > 0), healthy or all"
            )
        if match.group(5):
            return cls("healthy")
        if match.group(1):
            percent = float(match.group(2))
            if not 0 < percent <= 100:
                raise ConfigurationError("fault", text, "errors=P% with 0 < P <= 100")
            return cls(f"errors={number(percent)}%", error_rate=percent / 100)
        factor = float(match.group(4))
        if not 0 < factor <= 1000:
            raise ConfigurationError("fault", text, "latency=Fx with 0 < F <= 1000")
        return cls(f"latency={number(factor)}x", latency_factor=factor)

    @classmethod
    def standard(cls) -> list[Fault]:
        """Return the four faults of ``--fault all``: fails every call, 5 % errors, 3x, healthy."""
        return [cls.parse(text) for text in ("errors=100%", "errors=5%", "latency=3x", "healthy")]


def parse_faults(text: str) -> list[Fault]:
    """Parse a ``--fault`` value: ``all`` or a comma-separated list of faults."""
    if text.strip() == "all":
        return Fault.standard()
    faults = [Fault.parse(part) for part in text.split(",") if part.strip()]
    if not faults:
        raise ConfigurationError("fault", text, "errors=P%, latency=Fx, healthy or all")
    return faults


@dataclass(frozen=True)
class DurationProfile:
    """Log-normal baseline plus slow outliers, censored at the timeout (milliseconds)."""

    median_ms: float
    sigma: float
    outlier_rate: float
    outlier_factor: float
    timeout_ms: float

    def cdf(self, x_ms: float) -> float:
        """P(duration <= x); 1 from the timeout on (a request is stopped there)."""
        if x_ms >= self.timeout_ms:
            return 1.0
        if x_ms <= 0:
            return 0.0
        z = (math.log(x_ms) - math.log(self.median_ms)) / self.sigma
        z_slow = z - math.log(self.outlier_factor) / self.sigma
        return (1 - self.outlier_rate) * _phi(z) + self.outlier_rate * _phi(z_slow)

    @property
    def timeout_probability(self) -> float:
        """Share of requests that run into the timeout."""
        below = (math.log(self.timeout_ms) - math.log(self.median_ms)) / self.sigma
        slow = below - math.log(self.outlier_factor) / self.sigma
        return (1 - self.outlier_rate) * (1 - _phi(below)) + self.outlier_rate * (1 - _phi(slow))

    def moments(self) -> tuple[float, float]:
        """Mean and variance (uncensored log-normal mixture; used for ``Average``)."""
        scale = math.exp(self.sigma**2 / 2)
        second = math.exp(2 * self.sigma**2)
        k, q, m = self.outlier_factor, self.outlier_rate, self.median_ms
        mean = m * scale * ((1 - q) + q * k)
        mean_square = m * m * second * ((1 - q) + q * k * k)
        return mean, max(mean_square - mean * mean, 0.0)

    def quantile(self, u: float) -> float:
        """Return the ``u`` quantile (bisection on the log scale)."""
        low, high = self.log_span()
        for _ in range(80):
            middle = (low + high) / 2
            if self.cdf(math.exp(middle)) < u:
                low = middle
            else:
                high = middle
        return min(math.exp(high), self.timeout_ms)

    def log_span(self) -> tuple[float, float]:
        """Return a range of log-durations holding all but a negligible share of the mass."""
        low = math.log(self.median_ms) - 8 * self.sigma
        high = math.log(self.median_ms * self.outlier_factor) + 8 * self.sigma
        return low, min(high, math.log(self.timeout_ms))


@dataclass(frozen=True)
class DurationGrid:
    """Two profiles tabulated on one grid, for order statistics of a mix of both versions."""

    x: tuple[float, ...]
    new: tuple[float, ...]
    old: tuple[float, ...]

    @classmethod
    def of(cls, new: DurationProfile, old: DurationProfile) -> DurationGrid:
        """Tabulate ``new`` and ``old`` on a shared log-spaced grid up to the timeout."""
        low = min(new.log_span()[0], old.log_span()[0])
        high = max(new.log_span()[1], old.log_span()[1])
        step = (high - low) / (_GRID - 1)
        x = [math.exp(low + i * step) for i in range(_GRID)]
        x[-1] = min(x[-1], new.timeout_ms)
        return cls(
            tuple(x),
            tuple(new.cdf(v) if i < _GRID - 1 else 1.0 for i, v in enumerate(x)),
            tuple(old.cdf(v) if i < _GRID - 1 else 1.0 for i, v in enumerate(x)),
        )


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _percent(share: float) -> str:
    return f"{number(round(share * 100, 4))} %"


def _check_range(argument: str, value: object, low: float, high: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise ConfigurationError(argument, value, f"a number from {number(low)} to {number(high)}")
