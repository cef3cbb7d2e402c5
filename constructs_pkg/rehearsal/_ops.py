"""Two interchangeable array backends, so the rehearsal's semantics are written once.

Every CloudWatch and CodeDeploy rule of the rehearsal is written against :class:`Ops`:

* :class:`NumpyOps` runs all simulated releases at once: a *vector* is an array of shape
  ``(runs,)`` and a *series* an array of shape ``(runs, T)`` (time along the last axis).
* :class:`PythonOps` runs one release at a time with the standard library only: a vector is
  a float (or bool) and a series a list of floats.

Missing datapoints are NaN in both. Both backends draw from the same distributions, not the
same random streams: results agree statistically, and each is deterministic for a seed.

Examples
--------
>>> ops = PythonOps(seed=1)
>>> ops.add([1.0, ops.nan], 2.0)
[3.0, nan]
>>> ops.div(1.0, 0.0)
nan
>>> ops.cumsum_from_newest([True, False, True])
[2, 1, 1]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["NumpyOps", "Ops", "PythonOps", "numpy_available"]

# Vectors and series are numpy arrays or floats/lists: the backends are duck-typed on purpose.
V = Any
S = Any


def numpy_available() -> bool:
    """Return True when numpy (the ``rehearse`` extra) can be imported."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


class Ops:
    """The operations the rehearsal needs; see the module docstring for the two shapes."""

    nan = math.nan
    runs: int = 1

    # --- construction and shape -----------------------------------------------------------
    def full(self, value: float) -> V:
        """Return a vector holding ``value`` for every run."""
        raise NotImplementedError

    def stack(self, columns: Sequence[V]) -> S:
        """Return a series whose time steps are ``columns`` (oldest first)."""
        raise NotImplementedError

    def column(self, series: S, index: int) -> V:
        """Time step ``index`` of ``series`` (negative counts from the newest)."""
        raise NotImplementedError

    def width(self, series: S) -> int:
        """Return the number of time steps of ``series``."""
        raise NotImplementedError

    # --- elementwise (vectors, series and plain floats broadcast) -------------------------
    def isnan(self, x: Any) -> Any:
        """Return True where ``x`` is missing."""
        raise NotImplementedError

    def where(self, condition: Any, a: Any, b: Any) -> Any:
        """Return ``a`` where ``condition`` holds, else ``b``."""
        raise NotImplementedError

    def and_(self, a: Any, b: Any) -> Any:
        """Elementwise logical and."""
        raise NotImplementedError

    def or_(self, a: Any, b: Any) -> Any:
        """Elementwise logical or."""
        raise NotImplementedError

    def not_(self, a: Any) -> Any:
        """Elementwise logical not."""
        raise NotImplementedError

    def add(self, a: Any, b: Any) -> Any:
        """Add elementwise (NaN propagates)."""
        raise NotImplementedError

    def sub(self, a: Any, b: Any) -> Any:
        """Elementwise difference (NaN propagates)."""
        raise NotImplementedError

    def mul(self, a: Any, b: Any) -> Any:
        """Elementwise product (NaN propagates)."""
        raise NotImplementedError

    def div(self, a: Any, b: Any) -> Any:
        """Elementwise quotient; NaN where ``b`` is 0 (CloudWatch drops the datapoint)."""
        raise NotImplementedError

    def pow(self, a: Any, b: Any) -> Any:
        """Elementwise power; NaN where undefined."""
        raise NotImplementedError

    def compare(self, op: str, a: Any, b: Any) -> Any:
        """Elementwise ``a <op> b`` for ``op`` in ``< <= > >= == !=``; False where NaN."""
        raise NotImplementedError

    def unary(self, name: str, a: Any) -> Any:
        """Elementwise ``abs``, ``floor``, ``ceil``, ``log`` or ``log10``; NaN where undefined."""
        raise NotImplementedError

    def minimum(self, a: Any, b: Any) -> Any:
        """Elementwise minimum."""
        raise NotImplementedError

    def maximum(self, a: Any, b: Any) -> Any:
        """Elementwise maximum."""
        raise NotImplementedError

    def to_float(self, a: Any) -> Any:
        """Booleans as 1.0 / 0.0."""
        raise NotImplementedError

    # --- along time -------------------------------------------------------------------------
    def sum_t(self, series: S) -> V:
        """Sum over time (booleans count as 1)."""
        raise NotImplementedError

    def max_t(self, series: S) -> V:
        """Maximum over time."""
        raise NotImplementedError

    def cumsum_from_newest(self, series: S) -> S:
        """Count from the newest time step back (the newest step is counted first)."""
        raise NotImplementedError

    # --- reductions over runs (for reports) ---------------------------------------------------
    def values(self, vector: V) -> list[float]:
        """Return the vector as a list with one value per run."""
        raise NotImplementedError

    # --- random draws (one per run) -------------------------------------------------------------
    def uniform(self, low: float, high: float) -> V:
        """Uniform in ``[low, high)``."""
        raise NotImplementedError

    def integers(self, high: int) -> V:
        """Uniform whole number in ``[0, high)``."""
        raise NotImplementedError

    def poisson(self, lam: V) -> V:
        """Poisson with mean ``lam`` (0 where ``lam`` <= 0)."""
        raise NotImplementedError

    def beta(self, a: V, b: V) -> V:
        """Beta(a, b); ``a`` and ``b`` are at least 1 (order statistics of uniforms)."""
        raise NotImplementedError

    def normal(self) -> V:
        """Draw from the standard normal distribution."""
        raise NotImplementedError

    def table(self, values: Sequence[float]) -> Any:
        """Return a lookup table for :meth:`take`, in the backend's own form."""
        raise NotImplementedError

    def take(self, table: Any, index: V) -> V:
        """``table[index]`` for every run (``index`` a whole number, capped at the end)."""
        raise NotImplementedError


# --- pure Python ------------------------------------------------------------------------------


def _map(function: Callable[..., Any], *args: Any) -> Any:
    length = next((len(a) for a in args if isinstance(a, list)), None)
    if length is None:
        return function(*args)
    return [function(*(a[i] if isinstance(a, list) else a for a in args)) for i in range(length)]


def _div(a: float, b: float) -> float:
    if b == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return a / b


def _pow(a: float, b: float) -> float:
    try:
        result = math.pow(a, b)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan
    return result


def _unary(name: str, a: float) -> float:
    if math.isnan(a):
        return math.nan
    if name == "abs":
        return abs(a)
    if name == "floor":
        return float(math.floor(a))
    if name == "ceil":
        return float(math.ceil(a))
    if a <= 0:
        return math.nan
    return math.log(a) if name == "log" else math.log10(a)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b and not (math.isnan(a) or math.isnan(b)),
}


class PythonOps(Ops):
    """One simulated release at a time, standard library only."""

    def __init__(self, *, seed: int) -> None:
        self.random = random.Random(seed)

    def full(self, value: float) -> V:
        return value

    def stack(self, columns: Sequence[V]) -> S:
        return list(columns)

    def column(self, series: S, index: int) -> V:
        return series[index]

    def width(self, series: S) -> int:
        return len(series)

    def isnan(self, x: Any) -> Any:
        return _map(lambda a: isinstance(a, float) and math.isnan(a), x)

    def where(self, condition: Any, a: Any, b: Any) -> Any:
        return _map(lambda c, x, y: x if c else y, condition, a, b)

    def and_(self, a: Any, b: Any) -> Any:
        return _map(lambda x, y: bool(x) and bool(y), a, b)

    def or_(self, a: Any, b: Any) -> Any:
        return _map(lambda x, y: bool(x) or bool(y), a, b)

    def not_(self, a: Any) -> Any:
        return _map(lambda x: not x, a)

    def add(self, a: Any, b: Any) -> Any:
        return _map(lambda x, y: x + y, a, b)

    def sub(self, a: Any, b: Any) -> Any:
        return _map(lambda x, y: x - y, a, b)

    def mul(self, a: Any, b: Any) -> Any:
        return _map(lambda x, y: x * y, a, b)

    def div(self, a: Any, b: Any) -> Any:
        return _map(_div, a, b)

    def pow(self, a: Any, b: Any) -> Any:
        return _map(_pow, a, b)

    def compare(self, op: str, a: Any, b: Any) -> Any:
        return _map(_COMPARE[op], a, b)

    def unary(self, name: str, a: Any) -> Any:
        return _map(lambda x: _unary(name, x), a)

    def minimum(self, a: Any, b: Any) -> Any:
        return _map(lambda x, y: x if x <= y else y, a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        return _map(lambda x, y: x if x >= y else y, a, b)

    def to_float(self, a: Any) -> Any:
        return _map(float, a)

    def sum_t(self, series: S) -> V:
        return sum(series)

    def max_t(self, series: S) -> V:
        return max(series)

    def cumsum_from_newest(self, series: S) -> S:
        total, out = 0, []
        for value in reversed(series):
            total += value
            out.append(total)
        return out[::-1]

    def values(self, vector: V) -> list[float]:
        return [float(vector)]

    def uniform(self, low: float, high: float) -> V:
        return self.random.uniform(low, high)

    def integers(self, high: int) -> V:
        return self.random.randrange(high)

    def poisson(self, lam: V) -> V:
        return float(_poisson(self.random, lam))

    def beta(self, a: V, b: V) -> V:
        return self.random.betavariate(a, b)

    def normal(self) -> V:
        return self.random.gauss(0.0, 1.0)

    def table(self, values: Sequence[float]) -> Any:
        return tuple(values)

    def take(self, table: Any, index: V) -> V:
        return table[min(int(index), len(table) - 1)]


def _poisson(rng: random.Random, lam: float) -> int:
    """Poisson variate: inversion for small means, PTRS (Hörmann 1993) for large ones."""
    if lam <= 0:
        return 0
    if lam < 10:
        # Multiplication method (Knuth): exact, about lam + 1 uniforms.
        limit, count, product = math.exp(-lam), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= (
            -lam + k * loglam - math.lgamma(k + 1)
        ):
            return int(k)


# --- numpy ------------------------------------------------------------------------------------


class NumpyOps(Ops):
    """Every simulated release at once (needs numpy: ``pip install constructs-pkg[rehearse]``)."""

    def __init__(self, *, seed: int, runs: int) -> None:
        import numpy as np

        self.np = np
        self.runs = runs
        self.random = np.random.default_rng(seed)

    def full(self, value: float) -> V:
        return self.np.full(self.runs, value, dtype=float)

    def stack(self, columns: Sequence[V]) -> S:
        np = self.np
        return np.stack([np.broadcast_to(np.asarray(c), (self.runs,)) for c in columns], axis=-1)

    def column(self, series: S, index: int) -> V:
        return series[..., index]

    def width(self, series: S) -> int:
        return int(series.shape[-1])

    def isnan(self, x: Any) -> Any:
        return self.np.isnan(x)

    def where(self, condition: Any, a: Any, b: Any) -> Any:
        return self.np.where(condition, a, b)

    def and_(self, a: Any, b: Any) -> Any:
        return self.np.logical_and(a, b)

    def or_(self, a: Any, b: Any) -> Any:
        return self.np.logical_or(a, b)

    def not_(self, a: Any) -> Any:
        return self.np.logical_not(a)

    def add(self, a: Any, b: Any) -> Any:
        return self.np.add(a, b)

    def sub(self, a: Any, b: Any) -> Any:
        return self.np.subtract(a, b)

    def mul(self, a: Any, b: Any) -> Any:
        return self.np.multiply(a, b)

    def div(self, a: Any, b: Any) -> Any:
        np = self.np
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.equal(b, 0), np.nan, np.divide(a, b))

    def pow(self, a: Any, b: Any) -> Any:
        np = self.np
        with np.errstate(all="ignore"):
            result = np.power(np.asarray(a, dtype=float), b)
        return np.where(np.isfinite(result), result, np.nan)

    def compare(self, op: str, a: Any, b: Any) -> Any:
        np = self.np
        function = {
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
            "==": np.equal,
            "!=": np.not_equal,
        }[op]
        with np.errstate(invalid="ignore"):
            result = function(a, b)
        if op == "!=":
            result = np.logical_and(result, np.logical_not(np.isnan(np.add(a, b))))
        return result

    def unary(self, name: str, a: Any) -> Any:
        np = self.np
        if name in ("abs", "floor", "ceil"):
            return {"abs": np.abs, "floor": np.floor, "ceil": np.ceil}[name](a)
        with np.errstate(all="ignore"):
            value = np.asarray(a, dtype=float)
            result = np.log(value) if name == "log" else np.log10(value)
        return np.where(value > 0, result, np.nan)

    def minimum(self, a: Any, b: Any) -> Any:
        return self.np.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        return self.np.maximum(a, b)

    def to_float(self, a: Any) -> Any:
        return self.np.asarray(a, dtype=float)

    def sum_t(self, series: S) -> V:
        return series.sum(axis=-1)

    def max_t(self, series: S) -> V:
        return series.max(axis=-1)

    def cumsum_from_newest(self, series: S) -> S:
        return self.np.cumsum(series[..., ::-1], axis=-1)[..., ::-1]

    def values(self, vector: V) -> list[float]:
        return [float(v) for v in self.np.broadcast_to(vector, (self.runs,))]

    def uniform(self, low: float, high: float) -> V:
        return self.random.uniform(low, high, self.runs)

    def integers(self, high: int) -> V:
        return self.random.integers(0, high, self.runs).astype(float)

    def poisson(self, lam: V) -> V:
        np = self.np
        return self.random.poisson(np.maximum(np.broadcast_to(lam, (self.runs,)), 0.0)).astype(
            float
        )

    def beta(self, a: V, b: V) -> V:
        np = self.np
        return self.random.beta(
            np.broadcast_to(a, (self.runs,)).astype(float),
            np.broadcast_to(b, (self.runs,)).astype(float),
        )

    def normal(self) -> V:
        return self.random.standard_normal(self.runs)

    def table(self, values: Sequence[float]) -> Any:
        return self.np.asarray(values, dtype=float)

    def take(self, table: Any, index: V) -> V:
        np = self.np
        return table[np.minimum(np.asarray(index).astype(int), len(table) - 1)]
