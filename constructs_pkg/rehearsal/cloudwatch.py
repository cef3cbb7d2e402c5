"""CloudWatch alarm evaluation as documented, on simulated datapoints.

* :func:`evaluate_datapoints`: one evaluation of a metric alarm over its *evaluation range*:
  ``EvaluationPeriods`` (N), ``DatapointsToAlarm`` (M), ``TreatMissingData`` and the
  "premature alarm state" rule, reproducing the tables of
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
* :func:`parse_expression` / :func:`evaluate_expression`: metric math (arithmetic,
  comparison and logical operators, ``IF``, ``FILL``, ``DIFF``, ``RATE``, ``SUM`` / ``MAX`` /
  ``MIN`` / ``AVG`` of arrays, ``METRICS()``, ``ABS``, ``CEIL``, ``FLOOR``, ``LOG``,
  ``LOG10``, ``PERIOD``, ``TIME_SERIES``) with the documented missing-value rules of
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
* :func:`parse_alarm_rule` / :func:`evaluate_rule`: composite ``AlarmRule`` expressions
  (``ALARM`` / ``OK`` / ``INSUFFICIENT_DATA`` of a name or ARN, ``AND``, ``OR``, ``NOT``,
  ``TRUE``, ``FALSE``, parentheses).
* :func:`parse_statistic`, :func:`low_sample_threshold`: statistics and the sample count below
  which ``EvaluateLowSampleCountPercentile`` applies.

Every function works on either backend of :mod:`constructs_pkg.rehearsal._ops`. Standard
library only.

Examples
--------
>>> from constructs_pkg.rehearsal._ops import PythonOps
>>> ops, nan = PythonOps(seed=0), float("nan")
>>> state = evaluate_datapoints(ops, [0.0, nan, 5.0, nan, 5.0], comparison="GreaterThanThreshold",
...     threshold=1, evaluation_periods=3, datapoints_to_alarm=2, treat_missing="missing",
...     previous=OK)
>>> STATE_NAMES[state]
'ALARM'
>>> rule = parse_alarm_rule('ALARM("a") AND NOT OK("b")')
>>> sorted(alarm_names(rule))
['a', 'b']
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from constructs_pkg.rehearsal._ops import Ops

__all__ = [
    "ALARM",
    "COMPARISONS",
    "INSUFFICIENT_DATA",
    "OK",
    "STATE_NAMES",
    "TREAT_MISSING",
    "Expression",
    "RuleSyntaxError",
    "Statistic",
    "UnsupportedExpressionError",
    "alarm_names",
    "evaluate_datapoints",
    "evaluate_expression",
    "evaluate_rule",
    "expression_ids",
    "low_sample_threshold",
    "parse_alarm_rule",
    "parse_expression",
    "parse_statistic",
]

OK: Final = 0
ALARM: Final = 1
INSUFFICIENT_DATA: Final = 2
STATE_NAMES: Final = {OK: "OK", ALARM: "ALARM", INSUFFICIENT_DATA: "INSUFFICIENT_DATA"}

#: ``ComparisonOperator`` -> the comparison a breaching datapoint satisfies.
COMPARISONS: Final = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}
#: Valid ``TreatMissingData`` values (``missing`` is the default).
TREAT_MISSING: Final = ("missing", "ignore", "breaching", "notBreaching")


class UnsupportedExpressionError(ValueError):
    """A metric math expression or statistic the rehearsal cannot evaluate faithfully."""


class RuleSyntaxError(ValueError):
    """A composite alarm rule that does not parse."""


# --- one evaluation of a metric alarm ---------------------------------------------------------


def evaluate_datapoints(
    ops: Ops,
    values: Any,
    *,
    comparison: str,
    threshold: float,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing: str,
    previous: Any,
) -> Any:
    """Return the alarm state after one evaluation of ``values`` (its evaluation range).

    Parameters
    ----------
    ops
        The backend.
    values
        A series, oldest first, newest last, of the datapoints in the evaluation range
        (NaN = missing: not published yet, or no data in that period).
    comparison, threshold
        ``ComparisonOperator`` (a key of :data:`COMPARISONS`) and ``Threshold``.
    evaluation_periods, datapoints_to_alarm
        N and M of an "M out of N" alarm.
    treat_missing
        ``TreatMissingData``: one of :data:`TREAT_MISSING`.
    previous
        The state before this evaluation (``ignore`` may keep it).

    Notes
    -----
    As documented: if at least N datapoints of the range exist, the N most recent ones are
    evaluated and missing data is not needed. Otherwise every existing datapoint is evaluated
    and the shortfall is filled as ``TreatMissingData`` says, as few times as possible. With
    ``missing``, the alarm goes to ALARM without M breaching datapoints when every existing
    datapoint breaches and the oldest of them is at least M periods old (the "premature
    alarm state" rule); with ``missing`` or ``ignore`` and only breaching datapoints short of
    M, it goes to INSUFFICIENT_DATA or keeps its state. Alarms are set to ALARM when at
    least M evaluated datapoints breach, else to OK.
    """
    n, m = evaluation_periods, datapoints_to_alarm
    width = ops.width(values)
    present = ops.not_(ops.isnan(values))
    breach = ops.and_(present, ops.compare(COMPARISONS[comparison], values, threshold))
    real = ops.sum_t(present)
    breaching = ops.sum_t(breach)

    # Enough real datapoints: the N most recent existing ones decide.
    selected = ops.and_(present, ops.compare("<=", ops.cumsum_from_newest(present), n))
    recent_breaching = ops.sum_t(ops.and_(breach, selected))
    decided = ops.where(ops.compare(">=", recent_breaching, m), ALARM, OK)

    # Fewer than N real datapoints: fill the shortfall.
    if treat_missing == "breaching":
        filled = ops.where(ops.compare(">=", ops.add(breaching, ops.sub(n, real)), m), ALARM, OK)
        none_real = ALARM
    elif treat_missing == "notBreaching":
        filled = ops.where(ops.compare(">=", breaching, m), ALARM, OK)
        none_real = OK
    else:
        ages = ops.stack([float(width - i) for i in range(width)])  # newest datapoint: age 1
        oldest_breach_age = ops.max_t(ops.where(breach, ages, 0.0))
        undecided = previous if treat_missing == "ignore" else INSUFFICIENT_DATA
        if treat_missing == "missing":
            premature = ops.and_(
                ops.compare("==", breaching, real), ops.compare(">=", oldest_breach_age, m)
            )
            undecided = ops.where(premature, ALARM, undecided)
        filled = ops.where(
            ops.compare(">=", breaching, m),
            ALARM,
            ops.where(ops.compare(">", ops.sub(real, breaching), 0), OK, undecided),
        )
        none_real = previous if treat_missing == "ignore" else INSUFFICIENT_DATA
    return ops.where(
        ops.compare(">=", real, n),
        decided,
        ops.where(ops.compare("==", real, 0), none_real, filled),
    )


# --- statistics ----------------------------------------------------------------------------------

_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d+)?|100)")
_BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


@dataclass(frozen=True)
class Statistic:
    """A statistic: one of the basic five, or a percentile (``percentile`` in 0..100)."""

    name: str
    percentile: float | None = None


def parse_statistic(text: str) -> Statistic:
    """Parse ``Statistic`` / ``ExtendedStatistic`` / ``MetricStat.Stat`` text.

    Raises :class:`UnsupportedExpressionError` for statistics the rehearsal does not model
    (trimmed means, ``TC``, ``PR``, ``IQM``, ...).

    Examples
    --------
    >>> parse_statistic("p99.9")
    Statistic(name='p99.9', percentile=99.9)
    >>> parse_statistic("Sum")
    Statistic(name='Sum', percentile=None)
    """
    if text in _BASIC:
        return Statistic(text)
    match = _PERCENTILE.fullmatch(text)
    if match is not None and 0 <= float(match.group(1)) <= 100:
        return Statistic(text, float(match.group(1)))
    raise UnsupportedExpressionError(
        f"statistic {text!r} is not modelled (supported: {', '.join(_BASIC)}, pNN)"
    )


def low_sample_threshold(percentile: float) -> float:
    """Return the sample count below which ``EvaluateLowSampleCountPercentile`` applies.

    As documented: ``10 / (1 - p)`` for p from 0.5 to 1, ``10 / p`` below 0.5 (p a fraction).

    Examples
    --------
    >>> low_sample_threshold(99), low_sample_threshold(90), low_sample_threshold(10)
    (1000.0, 100.0, 100.0)
    """
    p = percentile / 100
    if p >= 1:
        return math.inf
    if p >= 0.5:
        return round(10 / (1 - p), 6)
    return math.inf if p <= 0 else round(10 / p, 6)


# --- metric math ------------------------------------------------------------------------------

_TOKENS = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<string>\"[^\"]*\"|'[^']*')"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/^()<>,\[\]]))"
)
_FUNCTIONS = frozenset(
    {
        "IF",
        "FILL",
        "DIFF",
        "RATE",
        "SUM",
        "MAX",
        "MIN",
        "AVG",
        "METRICS",
        "ABS",
        "CEIL",
        "FLOOR",
        "LOG",
        "LOG10",
        "PERIOD",
        "TIME_SERIES",
    }
)
_KEYWORDS = frozenset({"REPEAT", "LINEAR"})


@dataclass(frozen=True)
class Expression:
    """A parsed metric math expression node.

    ``kind`` is ``number``, ``string``, ``id``, ``keyword``, ``call``, ``binary``, ``neg`` or
    ``array``; ``value`` the literal, name, function or operator; ``args`` the children.
    """

    kind: str
    value: Any = None
    args: tuple[Expression, ...] = ()


class _Parser:
    """Recursive-descent parser over a token list (shared by math and alarm rules)."""

    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            want = f"{expected!r}" if expected else "more input"
            got = "the end" if token is None else repr(token[1])
            raise UnsupportedExpressionError(
                f"cannot parse {self.text!r}: expected {want}, got {got}"
            )
        self.position += 1
        return token


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKENS.match(text, position)
        if match is None or match.end() == position:
            raise UnsupportedExpressionError(f"cannot parse {text!r} at {text[position:][:20]!r}")
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def parse_expression(text: str) -> Expression:
    """Parse a metric math expression; raise :class:`UnsupportedExpressionError` when unsupported.

    Examples
    --------
    >>> parse_expression("IF(errors >= 3, 100 * errors / invocations, 0)").value
    'IF'
    """
    parser = _Parser(_tokenize(text), text)
    tree = _parse_or(parser)
    if parser.peek() is not None:
        raise UnsupportedExpressionError(f"cannot parse {text!r}: unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return tree


def _parse_or(p: _Parser) -> Expression:
    left = _parse_and(p)
    while (token := p.peek()) is not None and token[1] in ("OR", "||"):
        p.take()
        left = Expression("binary", "OR", (left, _parse_and(p)))
    return left


def _parse_and(p: _Parser) -> Expression:
    left = _parse_comparison(p)
    while (token := p.peek()) is not None and token[1] in ("AND", "&&"):
        p.take()
        left = Expression("binary", "AND", (left, _parse_comparison(p)))
    return left


def _parse_comparison(p: _Parser) -> Expression:
    left = _parse_sum(p)
    token = p.peek()
    if token is not None and token[1] in ("==", "!=", "<=", ">=", "<", ">"):
        p.take()
        return Expression("binary", token[1], (left, _parse_sum(p)))
    return left


def _parse_sum(p: _Parser) -> Expression:
    left = _parse_product(p)
    while (token := p.peek()) is not None and token[1] in ("+", "-"):
        p.take()
        left = Expression("binary", token[1], (left, _parse_product(p)))
    return left


def _parse_product(p: _Parser) -> Expression:
    left = _parse_unary(p)
    while (token := p.peek()) is not None and token[1] in ("*", "/"):
        p.take()
        left = Expression("binary", token[1], (left, _parse_unary(p)))
    return left


def _parse_unary(p: _Parser) -> Expression:
    token = p.peek()
    if token is not None and token[1] == "-":
        p.take()
        return Expression("neg", None, (_parse_unary(p),))
    base = _parse_primary(p)
    token = p.peek()
    if token is not None and token[1] == "^":
        p.take()
        return Expression("binary", "^", (base, _parse_unary(p)))
    return base


def _parse_primary(p: _Parser) -> Expression:
    kind, value = p.take()
    if kind == "number":
        return Expression("number", float(value))
    if kind == "string":
        return Expression("string", value[1:-1])
    if value == "(":
        inner = _parse_or(p)
        p.take(")")
        return inner
    if value == "[":
        items = [_parse_or(p)]
        while p.peek() is not None and p.peek()[1] == ",":  # type: ignore[index]
            p.take()
            items.append(_parse_or(p))
        p.take("]")
        return Expression("array", None, tuple(items))
    if kind == "name":
        following = p.peek()
        if following is not None and following[1] == "(":
            if value not in _FUNCTIONS:
                raise UnsupportedExpressionError(f"metric math function {value} is not modelled")
            p.take("(")
            args: list[Expression] = []
            if p.peek() is not None and p.peek()[1] != ")":  # type: ignore[index]
                args.append(_parse_or(p))
                while p.peek() is not None and p.peek()[1] == ",":  # type: ignore[index]
                    p.take()
                    args.append(_parse_or(p))
            p.take(")")
            return Expression("call", value, tuple(args))
        if value in _KEYWORDS:
            return Expression("keyword", value)
        if not value[0].islower():
            raise UnsupportedExpressionError(f"{value!r} is not a metric id (ids start lowercase)")
        return Expression("id", value)
    raise UnsupportedExpressionError(f"unexpected {value!r} in a metric math expression")


def expression_ids(expression: Expression) -> set[str]:
    """Every metric / expression id an expression names (``METRICS()`` names none)."""
    found = {expression.value} if expression.kind == "id" else set()
    for arg in expression.args:
        found |= expression_ids(arg)
    return found


# Values during evaluation: ("TS", series) | ("S", float) | ("TS[]", [series]) | ("STR", str)
_Value = tuple[str, Any]


def evaluate_expression(
    ops: Ops,
    expression: Expression,
    inputs: Mapping[str, Any],
    *,
    metric_ids: Sequence[str],
    period_seconds: float,
) -> Any:
    """Evaluate ``expression`` to one time series (a series of the backend).

    Parameters
    ----------
    ops
        The backend.
    expression
        From :func:`parse_expression`.
    inputs
        Id -> series, for every metric (``MetricStat``) and every other expression of the
        alarm that this one may name, over the same time steps.
    metric_ids
        The ids of the alarm's metrics in their template order (for ``METRICS()``).
    period_seconds
        The period of the metrics (``PERIOD()``, ``RATE()``).

    Raises
    ------
    UnsupportedExpressionError
        The result is not a single time series (a scalar or an array), or a function is
        used in a way the rehearsal cannot evaluate faithfully.
    """
    kind, value = _evaluate(ops, expression, inputs, metric_ids, period_seconds)
    if kind != "TS":
        raise UnsupportedExpressionError(
            f"an alarm's expression must return one time series, this one returns {kind}"
        )
    return value


def _evaluate(
    ops: Ops,
    node: Expression,
    inputs: Mapping[str, Any],
    metric_ids: Sequence[str],
    period: float,
) -> _Value:
    def recurse(child: Expression) -> _Value:
        return _evaluate(ops, child, inputs, metric_ids, period)

    if node.kind == "number":
        return ("S", node.value)
    if node.kind == "string":
        return ("STR", node.value)
    if node.kind == "keyword":
        return ("KW", node.value)
    if node.kind == "id":
        if node.value not in inputs:
            raise UnsupportedExpressionError(f"metric math names unknown id {node.value!r}")
        return ("TS", inputs[node.value])
    if node.kind == "array":
        series = []
        for item in node.args:
            kind, value = recurse(item)
            if kind == "TS":
                series.append(value)
            elif kind == "TS[]":
                series.extend(value)
            else:
                raise UnsupportedExpressionError("an array [...] may only hold time series")
        return ("TS[]", series)
    if node.kind == "neg":
        kind, value = recurse(node.args[0])
        return _elementwise(ops, kind, value, lambda v: ops.mul(v, -1.0))
    if node.kind == "binary":
        return _binary(ops, node.value, recurse(node.args[0]), recurse(node.args[1]))
    return _call(ops, node, [recurse(arg) for arg in node.args], metric_ids, inputs, period)


def _elementwise(ops: Ops, kind: str, value: Any, function: Callable[[Any], Any]) -> _Value:
    if kind == "TS[]":
        return ("TS[]", [function(series) for series in value])
    if kind in ("TS", "S"):
        return (kind, function(value))
    raise UnsupportedExpressionError(f"cannot apply arithmetic to {kind}")


def _binary(ops: Ops, op: str, left: _Value, right: _Value) -> _Value:
    (lk, lv), (rk, rv) = left, right
    if lk == "TS[]" or rk == "TS[]":
        if lk == "TS[]" and rk == "TS[]":
            raise UnsupportedExpressionError("arithmetic between two arrays of time series")
        if lk == "TS[]":
            return ("TS[]", [_binary(ops, op, ("TS", s), right)[1] for s in lv])
        return ("TS[]", [_binary(ops, op, left, ("TS", s))[1] for s in rv])
    if lk not in ("TS", "S") or rk not in ("TS", "S"):
        raise UnsupportedExpressionError(f"operator {op} cannot take {lk} and {rk}")
    both_series = lk == "TS" and rk == "TS"
    if both_series:
        # Documented: missing values count as 0 where the other series has a value.
        missing = ops.and_(ops.isnan(lv), ops.isnan(rv))
        lv = ops.where(ops.isnan(lv), 0.0, lv)
        rv = ops.where(ops.isnan(rv), 0.0, rv)
    if op in ("+", "-", "*", "/", "^"):
        function = {"+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div, "^": ops.pow}[op]
        result = function(lv, rv)
    elif op in ("AND", "OR"):
        truth_l = ops.compare("!=", lv, 0.0)
        truth_r = ops.compare("!=", rv, 0.0)
        combined = ops.and_(truth_l, truth_r) if op == "AND" else ops.or_(truth_l, truth_r)
        result = _keep_missing(ops, ops.to_float(combined), lv, rv)
    else:
        result = _keep_missing(ops, ops.to_float(ops.compare(op, lv, rv)), lv, rv)
    if both_series:
        result = ops.where(missing, ops.nan, result)
    kind = "TS" if "TS" in (lk, rk) else "S"
    return (kind, result)


def _keep_missing(ops: Ops, result: Any, left: Any, right: Any) -> Any:
    """Keep a comparison of a missing datapoint missing, not false."""
    return ops.where(ops.or_(ops.isnan(left), ops.isnan(right)), ops.nan, result)


def _call(
    ops: Ops,
    node: Expression,
    args: list[_Value],
    metric_ids: Sequence[str],
    inputs: Mapping[str, Any],
    period: float,
) -> _Value:
    name = node.value
    kinds = [kind for kind, _ in args]
    if name == "METRICS":
        if not args:
            return ("TS[]", [inputs[i] for i in metric_ids])
        if kinds == ["STR"]:
            return ("TS[]", [inputs[i] for i in metric_ids if args[0][1] in i])
        raise UnsupportedExpressionError('METRICS() takes nothing or one "string"')
    if name == "IF":
        return _if(ops, args)
    if name == "FILL":
        return _fill(ops, args)
    if name in ("DIFF", "RATE"):
        if len(args) != 1:
            raise UnsupportedExpressionError(f"{name}() takes one time series or array")
        kind, value = args[0]

        def change(series: Any) -> Any:
            return _difference(ops, series, period if name == "RATE" else None)

        return _series_only(name, kind, value, change)
    if name in ("SUM", "MAX", "MIN", "AVG"):
        if len(args) != 1 or kinds[0] != "TS[]":
            raise UnsupportedExpressionError(
                f"{name}() of a single time series is a scalar over the whole query range, "
                "which an alarm re-evaluates over more datapoints than EvaluationPeriods "
                "(CloudWatch advises against it); only arrays of time series are modelled"
            )
        return ("TS", _across(ops, name, args[0][1]))
    if name in ("ABS", "CEIL", "FLOOR", "LOG", "LOG10"):
        if len(args) != 1:
            raise UnsupportedExpressionError(f"{name}() takes one argument")
        kind, value = args[0]
        return _elementwise(ops, kind, value, lambda v: ops.unary(name.lower(), v))
    if name == "PERIOD":
        if kinds != ["TS"]:
            raise UnsupportedExpressionError("PERIOD() takes one metric")
        return ("S", float(period))
    if name == "TIME_SERIES":
        if kinds != ["S"]:
            raise UnsupportedExpressionError("TIME_SERIES() takes one scalar")
        template = next(iter(inputs.values()))
        return ("TS", _constant(ops, template, args[0][1]))
    raise UnsupportedExpressionError(
        f"metric math function {name} is not modelled"
    )  # pragma: no cover


def _constant(ops: Ops, template: Any, value: float) -> Any:
    """Return a non-sparse series holding ``value`` at every time step of ``template``."""
    return ops.where(ops.isnan(template), value, value)


def _series_only(name: str, kind: str, value: Any, function: Callable[[Any], Any]) -> _Value:
    if kind == "TS":
        return ("TS", function(value))
    if kind == "TS[]":
        return ("TS[]", [function(series) for series in value])
    raise UnsupportedExpressionError(f"{name}() takes a time series, not {kind}")


def _if(ops: Ops, args: list[_Value]) -> _Value:
    if len(args) not in (2, 3):
        raise UnsupportedExpressionError("IF() takes a condition, a true value and a false value")
    (ck, cv), (ak, av) = args[0], args[1]
    bk, bv = args[2] if len(args) == 3 else ("NONE", None)
    if ck == "S":
        # IF(scalar, TS, TS): the whole series is chosen; an omitted false value is empty.
        if cv:
            return (ak, av)
        if bk == "NONE":
            return ("TS", ops.where(ops.isnan(av), ops.nan, ops.nan))
        return (bk, bv)
    if ck != "TS" or ak not in ("TS", "S") or bk not in ("TS", "S", "NONE"):
        raise UnsupportedExpressionError("IF() takes a time series condition and values")
    # A true datapoint whose true-series value is missing is 0; a false one without a false
    # value is dropped; a missing condition datapoint is dropped (documented tables).
    true_value = ops.where(ops.isnan(av), 0.0, av) if ak == "TS" else av
    false_value = ops.nan if bk == "NONE" else bv
    chosen = ops.where(ops.compare("!=", cv, 0.0), true_value, false_value)
    return ("TS", ops.where(ops.isnan(cv), ops.nan, chosen))


def _fill(ops: Ops, args: list[_Value]) -> _Value:
    if len(args) != 2:
        raise UnsupportedExpressionError("FILL() takes a time series and a filler")
    (sk, sv), (fk, fv) = args

    def fill(series: Any) -> Any:
        if fk in ("S", "TS"):
            return ops.where(ops.isnan(series), fv, series)
        if fk == "KW" and fv == "REPEAT":
            columns, last = [], ops.nan
            for index in range(ops.width(series)):
                current = ops.column(series, index)
                last = ops.where(ops.isnan(current), last, current)
                columns.append(last)
            return ops.stack(columns)
        raise UnsupportedExpressionError(
            f"FILL(..., {fv}) is not modelled (a number, a series, REPEAT)"
        )

    return _series_only("FILL", sk, sv, fill)


def _difference(ops: Ops, series: Any, period: float | None) -> Any:
    """Each value minus the preceding existing value (per second of their distance for RATE)."""
    columns, last, last_index = [], ops.full(ops.nan), ops.full(ops.nan)
    for index in range(ops.width(series)):
        current = ops.column(series, index)
        change = ops.sub(current, last)
        if period is not None:
            change = ops.div(change, ops.mul(ops.sub(float(index), last_index), period))
        columns.append(change)
        known = ops.not_(ops.isnan(current))
        last = ops.where(known, current, last)
        last_index = ops.where(known, float(index), last_index)
    return ops.stack(columns)


def _across(ops: Ops, name: str, series_list: list[Any]) -> Any:
    """SUM / MAX / MIN / AVG of an array of series at each time step (missing if all are)."""
    if not series_list:
        raise UnsupportedExpressionError(f"{name}() of an empty array")
    all_missing = ops.isnan(series_list[0])
    for series in series_list[1:]:
        all_missing = ops.and_(all_missing, ops.isnan(series))
    if name in ("SUM", "AVG"):
        total: Any = 0.0
        for series in series_list:
            total = ops.add(total, ops.where(ops.isnan(series), 0.0, series))
        result = total if name == "SUM" else ops.div(total, float(len(series_list)))
    else:
        pick = ops.maximum if name == "MAX" else ops.minimum
        neutral = -math.inf if name == "MAX" else math.inf
        result = neutral
        for series in series_list:
            result = pick(result, ops.where(ops.isnan(series), neutral, series))
    return ops.where(all_missing, ops.nan, result)


# --- composite alarm rules -----------------------------------------------------------------------

_RULE_TOKENS = re.compile(
    r'\s*(?:(?P<quoted>"[^"]*")|(?P<op>[()])|(?P<word>[A-Z_]+(?=\s*[(\s]|\s*$|\s*\)))'
    r"|(?P<bare>[^()\s\"]+))"
)
_STATES = {"ALARM": ALARM, "OK": OK, "INSUFFICIENT_DATA": INSUFFICIENT_DATA}


def _rule_tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text) and text[position:].strip():
        match = _RULE_TOKENS.match(text, position)
        if match is None or match.end() == position:
            raise RuleSyntaxError(f"cannot parse alarm rule {text!r} at {text[position:][:20]!r}")
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def parse_alarm_rule(text: str) -> Expression:
    """Parse a composite ``AlarmRule``; raise :class:`RuleSyntaxError` when it does not parse.

    Nodes: ``state`` (value = state code, args = (``name`` node,)), ``binary`` AND/OR,
    ``not``, ``constant`` (value = bool). An ARN names its alarm by the part after
    ``:alarm:``.
    """
    parser = _Parser(_rule_tokens(text), text)
    try:
        tree = _rule_or(parser)
    except UnsupportedExpressionError as exc:
        raise RuleSyntaxError(str(exc)) from None
    if parser.peek() is not None:
        raise RuleSyntaxError(f"cannot parse alarm rule {text!r}: unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return tree


def _rule_or(p: _Parser) -> Expression:
    left = _rule_and(p)
    while p.peek() is not None and p.peek()[1] == "OR":  # type: ignore[index]
        p.take()
        left = Expression("binary", "OR", (left, _rule_and(p)))
    return left


def _rule_and(p: _Parser) -> Expression:
    left = _rule_not(p)
    while p.peek() is not None and p.peek()[1] == "AND":  # type: ignore[index]
        p.take()
        left = Expression("binary", "AND", (left, _rule_not(p)))
    return left


def _rule_not(p: _Parser) -> Expression:
    if p.peek() is not None and p.peek()[1] == "NOT":  # type: ignore[index]
        p.take()
        return Expression("not", None, (_rule_not(p),))
    return _rule_primary(p)


def _rule_primary(p: _Parser) -> Expression:
    _, value = p.take()
    if value == "(":
        inner = _rule_or(p)
        p.take(")")
        return inner
    if value in ("TRUE", "FALSE"):
        return Expression("constant", value == "TRUE")
    if value in _STATES:
        p.take("(")
        name_kind, name = p.take()
        if name_kind not in ("quoted", "bare", "word"):
            raise RuleSyntaxError(f"{value}() needs an alarm name or ARN, got {name!r}")
        name = name[1:-1] if name_kind == "quoted" else name
        if name.startswith("arn:") and ":alarm:" in name:
            name = name.split(":alarm:", 1)[1]
        p.take(")")
        return Expression("state", _STATES[value], (Expression("name", name),))
    if value == "AT_LEAST":
        raise RuleSyntaxError("AT_LEAST() is not modelled")
    raise RuleSyntaxError(f"unexpected {value!r} in an alarm rule")


def alarm_names(rule: Expression) -> set[str]:
    """Every alarm name a parsed rule refers to."""
    if rule.kind == "name":
        return {rule.value}
    names: set[str] = set()
    for arg in rule.args:
        names |= alarm_names(arg)
    return names


def evaluate_rule(ops: Ops, rule: Expression, state_of: Callable[[str], Any]) -> Any:
    """Evaluate a parsed rule to a truth vector, given each child alarm's state vector."""
    if rule.kind == "constant":
        return ops.compare("==", ops.full(1.0 if rule.value else 0.0), 1.0)
    if rule.kind == "state":
        return ops.compare("==", state_of(rule.args[0].value), rule.value)
    if rule.kind == "not":
        return ops.not_(evaluate_rule(ops, rule.args[0], state_of))
    left = evaluate_rule(ops, rule.args[0], state_of)
    right = evaluate_rule(ops, rule.args[1], state_of)
    return ops.and_(left, right) if rule.value == "AND" else ops.or_(left, right)
