"""``rehearse()``: the rehearsal of every CodeDeploy Lambda release of a cloud assembly.

Standard library only (numpy, when installed, makes it fast).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from constructs_pkg.assembly import Assembly, load_assembly
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.rehearsal.model import Release, read_releases
from constructs_pkg.rehearsal.report import Rehearsal, ScenarioResult
from constructs_pkg.rehearsal.simulate import resolve_engine, scenario_seed, simulate
from constructs_pkg.rehearsal.timing import Timing
from constructs_pkg.rehearsal.traffic import Fault, TrafficModel, parse_faults

__all__ = ["DEFAULT_RATES", "DEFAULT_RUNS", "DEFAULT_SEED", "rehearse"]

#: Requests per second on the alias rehearsed by default.
DEFAULT_RATES = (1.0, 10.0, 100.0)
#: Simulated releases per scenario by default.
DEFAULT_RUNS = 1000
#: The default seed: the same assembly always gives the same figures.
DEFAULT_SEED = 0
_MAX_RATE = 100_000.0
_MAX_RUNS = 1_000_000


def rehearse(
    assembly: str | Path | Assembly,
    *,
    traffic: Sequence[float] = DEFAULT_RATES,
    faults: str | Iterable[str | Fault] = "all",
    runs: int = DEFAULT_RUNS,
    seed: int = DEFAULT_SEED,
    timing: Timing | None = None,
    model: TrafficModel | None = None,
    releases: Iterable[str] | None = None,
    engine: str = "auto",
) -> Rehearsal:
    """Rehearse every CodeDeploy Lambda release of a cloud assembly.

    Parameters
    ----------
    assembly
        A ``cdk.out`` directory (or an already loaded :class:`~constructs_pkg.assembly.Assembly`);
        nested stacks are included.
    traffic
        Requests per second on each alias; one scenario per rate. Default: 1, 10 and 100.
    faults
        ``"all"`` (fails every call, 5 % errors, 3x latency, healthy), a comma-separated
        string, or a list of fault texts / :class:`Fault` objects. Default: ``"all"``.
    runs
        Simulated releases per release, rate and fault. Default: 1000.
    seed
        Same seed, same figures. Default: 0.
    timing, model
        The timing assumptions and the traffic model. Default: their documented defaults.
    releases
        Only these release names (as the report prints them). Default: all.
    engine
        ``"auto"`` (numpy if installed), ``"numpy"`` or ``"python"``.

    Returns
    -------
    Rehearsal
        Findings per release and a :class:`ScenarioResult` per release, rate and fault.

    Raises
    ------
    ConfigurationError
        A bad rate, fault, run count, seed, engine or release name.
    FileNotFoundError, ValueError
        ``assembly`` is not a readable cloud assembly.
    """
    rates = _rates(traffic)
    chosen = _faults(faults)
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= _MAX_RUNS:
        raise ConfigurationError("runs", runs, f"a whole number from 1 to {_MAX_RUNS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigurationError("seed", seed, "a whole number >= 0")
    resolved_engine = resolve_engine(engine)
    timing = timing or Timing()
    model = model or TrafficModel()
    loaded = assembly if isinstance(assembly, Assembly) else load_assembly(assembly)
    found = read_releases(loaded)
    found = _select(found, releases)
    started = time.perf_counter()
    results = []
    for release in found:
        if not release.rehearsable:
            continue
        for fault in chosen:
            for rate in rates:
                outcomes = simulate(
                    release,
                    rate=rate,
                    fault=fault,
                    runs=runs,
                    seed=scenario_seed(seed, release.name, fault.name, rate),
                    timing=timing,
                    traffic=model,
                    engine=resolved_engine,
                )
                results.append(ScenarioResult.of(release.name, fault, rate, outcomes))
    return Rehearsal(
        directory=loaded.directory,
        releases=found,
        results=results,
        runs=runs,
        seed=seed,
        engine=resolved_engine,
        timing=timing,
        traffic=model,
        seconds=time.perf_counter() - started,
        rates=rates,
        faults=chosen,
    )


def _rates(traffic: Sequence[float]) -> list[float]:
    values = [traffic] if isinstance(traffic, int | float) else list(traffic)
    if not values:
        raise ConfigurationError("traffic", traffic, "at least one request rate")
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 < value <= _MAX_RATE
        ):
            raise ConfigurationError(
                "traffic", value, f"requests per second, more than 0 and at most {_MAX_RATE:g}"
            )
    return [float(v) for v in values]


def _faults(faults: str | Iterable[str | Fault]) -> list[Fault]:
    if isinstance(faults, str):
        return parse_faults(faults)
    chosen: list[Fault] = []
    for fault in faults:
        chosen.extend([fault] if isinstance(fault, Fault) else parse_faults(fault))
    if not chosen:
        raise ConfigurationError("faults", faults, "at least one fault")
    return chosen


def _select(found: list[Release], names: Iterable[str] | None) -> list[Release]:
    if names is None:
        return found
    wanted = list(names)
    known = {release.name for release in found}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ConfigurationError(
            "releases", unknown[0], f"one of {', '.join(sorted(known)) or 'no releases here'}"
        )
    return [release for release in found if release.name in wanted]
