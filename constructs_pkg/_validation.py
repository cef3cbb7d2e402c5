"""Small, shared validation helpers. Every rule raises :class:`ConfigurationError`.

Each helper skips values that are unresolved CDK tokens: those are only known
at deploy time and are CloudFormation's to check.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from aws_cdk import Duration, Token

from constructs_pkg import limits
from constructs_pkg._text import exact_duration, number
from constructs_pkg.errors import ConfigurationError


def is_unresolved(value: Any) -> bool:
    """Return True when ``value`` (a number, string or Duration) is a deploy-time token."""
    if isinstance(value, Duration):
        return bool(value.is_unresolved())
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False  # NaN and infinity are plain bad numbers (and would crash the jsii kernel)
    return bool(Token.is_unresolved(value))


def seconds(value: Duration | None) -> float | None:
    """Return the seconds of a resolved Duration; None for None or a token."""
    if value is None or value.is_unresolved():
        return None
    return float(value.to_seconds())


def function_timeout_seconds(timeout: Duration | None) -> float | None:
    """Return a function's timeout in seconds (3 s when unset, None for a token)."""
    if timeout is None:
        return float(limits.LAMBDA_DEFAULT_TIMEOUT_SECONDS)
    return seconds(timeout)


def check_number(
    argument: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    whole: bool = False,
    exclusive_minimum: bool = False,
    path: str | None = None,
) -> None:
    """Check that ``value`` is a number within ``[minimum, maximum]``.

    Parameters
    ----------
    argument
        Name used in the error message.
    value
        The value to check; ``bool`` is not a number here.
    minimum, maximum
        Inclusive bounds; ``None`` leaves that side open.
    whole
        Require an integral value (``5`` or ``5.0``).
    exclusive_minimum
        Treat ``minimum`` as exclusive (``> minimum``).
    path
        Construct path for the error message.
    """
    if is_unresolved(value):
        return
    kind = "a whole number" if whole else "a number"
    if minimum is not None and maximum is not None:
        low = "greater than" if exclusive_minimum else "from"
        joiner = " and at most " if exclusive_minimum else " to "
        allowed = f"{kind} {low} {number(minimum)}{joiner}{number(maximum)}"
    elif minimum is not None:
        allowed = (
            f"{kind} {'greater than' if exclusive_minimum else 'of at least'} {number(minimum)}"
        )
    elif maximum is not None:
        allowed = f"{kind} of at most {number(maximum)}"
    else:
        allowed = kind
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigurationError(argument, value, allowed, path=path)
    if whole and not float(value).is_integer():
        raise ConfigurationError(argument, value, allowed, path=path)
    if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
        raise ConfigurationError(argument, value, allowed, path=path)
    if maximum is not None and value > maximum:
        raise ConfigurationError(argument, value, allowed, path=path)


def check_duration(
    argument: str,
    value: Any,
    *,
    minimum_seconds: float | None = None,
    maximum_seconds: float | None = None,
    whole: Literal["seconds", "minutes", "hours"] | None = None,
    path: str | None = None,
) -> None:
    """Check that ``value`` is a :class:`aws_cdk.Duration` within bounds (inclusive).

    ``whole`` requires a whole number of that unit: what CloudFormation takes for the
    property (CDK would otherwise fail with "cannot be converted into a whole number").
    """
    if is_unresolved(value):
        return
    whole_minutes = whole == "minutes"
    kind = "a whole number of minutes" if whole_minutes else "a Duration"
    largest = "minutes" if whole_minutes else "days"
    low = None if minimum_seconds is None else exact_duration(minimum_seconds, largest=largest)
    high = None if maximum_seconds is None else exact_duration(maximum_seconds, largest=largest)
    if low is not None and high is not None:
        allowed = f"{kind} from {low} to {high}"
    elif low is not None:
        allowed = f"{kind} of at least {low}"
    elif high is not None:
        allowed = f"{kind} of at most {high}"
    else:
        allowed = kind
    if whole in ("seconds", "hours"):
        allowed += f", in whole {whole}"
    if not isinstance(value, Duration):
        raise ConfigurationError(argument, value, allowed, path=path)
    millis = value.to_milliseconds()
    if whole is not None and millis % _UNIT_MS[whole] != 0:
        raise ConfigurationError(argument, value, allowed, path=path)
    if minimum_seconds is not None and millis < minimum_seconds * 1000:
        raise ConfigurationError(argument, value, allowed, path=path)
    if maximum_seconds is not None and millis > maximum_seconds * 1000:
        raise ConfigurationError(argument, value, allowed, path=path)


_UNIT_MS = {"seconds": 1000, "minutes": 60_000, "hours": 3_600_000}
