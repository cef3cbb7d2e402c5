"""The boundary every public argument passes through. Every rule raises ConfigurationError.

* :func:`check_type` -- the type, from the annotation (``Duration``, ``Sequence[IQueue]``,
  ``Rollout | None`` ...), with jsii interfaces checked by their members, as jsii does;
* :func:`check_number` / :func:`check_duration` -- finite, whole where AWS wants it, within
  the documented range (both ends);
* :func:`check_name` -- an exact pattern (``fullmatch``: no trailing newline slips through).

Unresolved tokens are CloudFormation's to check and pass unless ``tokens="reject"`` (a value
the library computes with must be known at synth time). Tokens are recognised in Python, by
CDK's markers, without a round trip to the jsii process.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Union

import jsii
from aws_cdk import Duration, Size, Stack
from constructs import IConstruct, IValidation

from constructs_pkg import limits
from constructs_pkg._text import exact_duration, number
from constructs_pkg._tokens import is_token
from constructs_pkg.errors import ConfigurationError

__all__ = [
    "assumed_timeout_seconds",
    "check_duration",
    "check_name",
    "check_number",
    "check_type",
    "check_when_resolved",
    "describe_type",
    "function_timeout_seconds",
    "is_unresolved",
    "seconds",
]

Tokens = Literal["pass", "reject"]


def is_unresolved(value: Any) -> bool:
    """Return True when ``value`` (a number, string, list or Duration) is a deploy-time token.

    Examples
    --------
    >>> is_unresolved("orders"), is_unresolved(5), is_unresolved(float("nan"))
    (False, False, False)
    """
    if isinstance(value, Duration):
        return bool(value.is_unresolved())
    return is_token(value)


def seconds(value: Duration | None) -> float | None:
    """Return the seconds of a resolved Duration (fractions kept); None for None or a token.

    Examples
    --------
    >>> seconds(Duration.minutes(2)), seconds(Duration.millis(250)), seconds(None)
    (120.0, 0.25, None)
    """
    if value is None or value.is_unresolved():
        return None
    return float(value.to_seconds(integral=False))


def function_timeout_seconds(timeout: Duration | None) -> float | None:
    """Return a function's timeout in seconds (3 s when unset, None for a token)."""
    if timeout is None:
        return float(limits.LAMBDA_DEFAULT_TIMEOUT_SECONDS)
    return seconds(timeout)


def assumed_timeout_seconds(timeout: Duration | None) -> float:
    """Return a function's timeout in seconds; 900 s (Lambda's maximum) for a token.

    Everything the library sizes from a timeout it cannot read (a smoke hook's wait, a
    queue's visibility timeout, a capacity report) assumes the worst case, never the best.
    """
    known = function_timeout_seconds(timeout)
    return float(limits.LAMBDA_MAX_TIMEOUT_SECONDS) if known is None else known


# --- types ---------------------------------------------------------------------------------------


def check_type(argument: str, value: Any, hint: Any, *, path: str | None = None) -> None:
    """Check ``value`` against the annotation ``hint``; the error says what was expected.

    Examples
    --------
    >>> try:
    ...     check_type("batch_size", "10", int)
    ... except ConfigurationError as error:
    ...     print(error)
    batch_size='10' is not allowed: expected a whole number.
    """
    if not _matches(value, hint):
        raise ConfigurationError(argument, _shown(value), describe_type(hint), path=path)


def describe_type(hint: Any) -> str:
    """Say what ``hint`` accepts, in words a user recognises (``a Duration, e.g. ...``)."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [describe_type(o) for o in typing.get_args(hint) if o is not type(None)]
        return " or ".join(options)
    if origin is Literal:
        return "one of " + ", ".join(repr(o) for o in typing.get_args(hint))
    if origin in (Sequence, list, tuple):
        return f"a list of {_plural(describe_type(typing.get_args(hint)[0]))}"
    if origin is Mapping or origin is dict:
        key, item = typing.get_args(hint)
        return f"a mapping of {_plural(describe_type(key))} to {_plural(describe_type(item))}"
    words = _WORDS.get(hint)
    if words is not None:
        return words
    example = getattr(hint, "__example__", None)
    name = getattr(hint, "__name__", str(hint))
    article = "an" if name[:1] in "AEIOU" else "a"
    module = getattr(hint, "__module__", "").replace("aws_cdk.", "")
    where = f" ({module})" if module.startswith("aws_") else ""
    return f"{article} {name}{where}" + (f", e.g. {example}" if example else "")


_WORDS: dict[Any, str] = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "True or False",
    Duration: "a Duration, e.g. Duration.minutes(5)",
    Size: "a Size, e.g. Size.mebibytes(512)",
    Any: "anything",
}


def _plural(words: str) -> str:
    """Make ``an IAlarm (aws_cloudwatch)`` plural: ``IAlarms (aws_cloudwatch)``."""
    words = words.split(", e.g.")[0]
    for article in ("a ", "an "):
        if words.startswith(article):
            noun, _, where = words[len(article) :].partition(" (")
            return f"{noun}s" + (f" ({where}" if where else "")
    return words


def _matches(value: Any, hint: Any) -> bool:  # one branch per kind of annotation
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(hint))
    if origin is Literal:
        options = typing.get_args(hint)
        return any(value == option and type(value) is type(option) for option in options)
    if origin in (Sequence, list, tuple):
        (item,) = typing.get_args(hint)[:1]
        return isinstance(value, list | tuple) and all(_matches(v, item) for v in value)
    if origin is Mapping or origin is dict:
        key, item = typing.get_args(hint)
        return isinstance(value, Mapping) and all(
            _matches(k, key) and _matches(v, item) for k, v in value.items()
        )
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:  # whole numbers are checked with the range, for one message
        return _is_number(value)
    if hint is float:
        return _is_number(value)
    if isinstance(hint, type) and getattr(hint, "_is_protocol", False):
        return _implements(value, hint)
    if isinstance(hint, type):
        return isinstance(value, hint)
    raise TypeError(f"no check for the annotation {hint!r}")  # pragma: no cover - a bug here


def _is_number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and (is_unresolved(value) or math.isfinite(value))
    )


_JSII_MODULES = ("aws_cdk", "constructs")


def _implements(value: Any, interface: type) -> bool:
    """Jsii interfaces are structural: ``value`` has every member ``interface`` declares."""
    if value is None or isinstance(value, str | int | float | bool | Mapping | list | tuple):
        return False
    members = {
        name
        for base in interface.__mro__
        if getattr(base, "_is_protocol", False) and base.__module__.startswith(_JSII_MODULES)
        for name in vars(base)
        if not name.startswith("_")
    }
    # A jsii object of several interfaces arrives as a dynamic proxy over one object per
    # interface (its ``_delegates``): every member must be on one of them.
    classes = [type(d) for d in getattr(value, "_delegates", None) or ()] or [type(value)]
    return all(any(hasattr(cls, name) for cls in classes) for name in members)


def _shown(value: Any) -> Any:
    """Show constructs by their path in errors, everything else as given."""
    node = getattr(value, "node", None)
    if node is not None and not isinstance(value, str | int | float):
        try:
            return f"<{type(value).__name__} {node.path}>"
        except Exception:  # pragma: no cover - not a construct after all
            return value
    return value


# --- numbers, durations, names -------------------------------------------------------------------


def check_number(
    argument: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    whole: bool = False,
    exclusive_minimum: bool = False,
    tokens: Tokens = "pass",
    path: str | None = None,
) -> None:
    """Check that ``value`` is a finite number within ``[minimum, maximum]``.

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
    tokens
        ``"pass"``: an unresolved token is CloudFormation's to check. ``"reject"``: the
        value must be known at synth time.
    path
        Construct path for the error message.
    """
    kind = "a whole number" if whole else "a number"
    if minimum is not None and maximum is not None:
        low = "greater than" if exclusive_minimum else "from"
        joiner = " and at most " if exclusive_minimum else " to "
        allowed = f"{kind} {low} {number(minimum)}{joiner}{number(maximum)}"
    elif minimum is not None:
        above = "greater than" if exclusive_minimum else "of at least"
        allowed = f"{kind} {above} {number(minimum)}"
    elif maximum is not None:
        allowed = f"{kind} of at most {number(maximum)}"
    else:
        allowed = kind
    if is_unresolved(value):
        if tokens == "pass":
            return
        raise ConfigurationError(argument, value, f"{allowed}, known at synth time", path=path)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
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
    tokens: Tokens = "pass",
    path: str | None = None,
) -> None:
    """Check that ``value`` is a :class:`aws_cdk.Duration` within bounds (inclusive).

    ``whole`` requires a whole number of that unit: what CloudFormation takes for the
    property (CDK would otherwise fail with "cannot be converted into a whole number").
    """
    whole_minutes = whole == "minutes"
    largest = "minutes" if whole_minutes else "days"
    low = None if minimum_seconds is None else exact_duration(minimum_seconds, largest=largest)
    high = None if maximum_seconds is None else exact_duration(maximum_seconds, largest=largest)
    kind = "a whole number of minutes" if whole_minutes else "a Duration"
    if low is not None and high is not None:
        bounds = f" from {low} to {high}"
    elif low is not None:
        bounds = f" of at least {low}"
    elif high is not None:
        bounds = f" of at most {high}"
    else:
        bounds = ""
    allowed = kind + bounds + (f", in whole {whole}" if whole in ("seconds", "hours") else "")
    if not isinstance(value, Duration):
        unit = whole or ("seconds" if (minimum_seconds or 0) >= 1 else "millis")
        example = {"seconds": 30, "minutes": 5, "hours": 24, "millis": 500}[unit]
        raise ConfigurationError(
            argument,
            _shown(value),
            f"a Duration, e.g. Duration.{unit}({example}),{bounds}"
            + (f" in whole {whole}" if whole else ""),
            path=path,
        )
    if value.is_unresolved():
        if tokens == "pass":
            return
        raise ConfigurationError(argument, value, f"{allowed}, known at synth time", path=path)
    millis = value.to_milliseconds()
    if whole is not None and millis % _UNIT_MS[whole] != 0:
        raise ConfigurationError(argument, value, allowed, path=path)
    if minimum_seconds is not None and millis < minimum_seconds * 1000:
        raise ConfigurationError(argument, value, allowed, path=path)
    if maximum_seconds is not None and millis > maximum_seconds * 1000:
        raise ConfigurationError(argument, value, allowed, path=path)


_UNIT_MS = {"seconds": 1000, "minutes": 60_000, "hours": 3_600_000}


def check_name(
    argument: str,
    value: Any,
    pattern: str | re.Pattern[str],
    allowed: str,
    *,
    tokens: Tokens = "pass",
    path: str | None = None,
) -> None:
    r"""Check that ``value`` is a string that matches ``pattern`` exactly (``fullmatch``).

    Examples
    --------
    >>> try:
    ...     check_name("alias_name", "live\n", r"[a-z]+", "lowercase letters")
    ... except ConfigurationError as error:
    ...     print(repr(str(error)))
    "alias_name='live\\n' is not allowed: expected lowercase letters."
    """
    if isinstance(value, str) and is_unresolved(value):
        if tokens == "pass":
            return
        raise ConfigurationError(argument, value, f"{allowed}, known at synth time", path=path)
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ConfigurationError(argument, _shown(value), allowed, path=path)


# --- tokens that resolve at synth ---------------------------------------------------------------


@jsii.implements(IValidation)
class _WhenResolved:
    """A check of a token that resolves at synth (``Lazy``, context), run when it has resolved."""

    def __init__(self, scope: IConstruct, value: Any, check: Callable[[Any], None]) -> None:
        self._scope = scope
        self._value = value
        self._check = check

    def validate(self) -> list[str]:
        value = self._value
        number = value.to_seconds() if isinstance(value, Duration) else value
        resolved = Stack.of(self._scope).resolve(number)
        if isinstance(resolved, Mapping | list) or is_unresolved(resolved):
            return []  # a deploy-time value (a parameter, an attribute): CloudFormation's to check
        if isinstance(value, Duration):
            resolved = Duration.seconds(resolved)
        try:
            self._check(resolved)
        except ConfigurationError as error:
            return [str(error)]
        return []


def check_when_resolved(scope: IConstruct, value: Any, check: Callable[[Any], None]) -> None:
    """Run ``check(value)`` now, or -- for a token -- on the value it resolves to at synth.

    A ``Lazy`` value or a context-derived token is known when the app synthesizes: it gets the
    same check, and a bad one fails ``cdk synth`` with the same message. A value only known at
    deploy time (a CfnParameter, an attribute of another resource) resolves to an intrinsic
    function and is left to CloudFormation.
    """
    if is_unresolved(value):
        scope.node.add_validation(_WhenResolved(scope, value, check))
    else:
        check(value)
