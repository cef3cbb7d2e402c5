"""CloudWatch semantics against the documentation's own examples, on both backends.

Tables: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
and https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
"""

from __future__ import annotations

import math
import random

import pytest

from constructs_pkg.rehearsal._ops import NumpyOps, Ops, PythonOps
from constructs_pkg.rehearsal.cloudwatch import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    RuleSyntaxError,
    UnsupportedExpressionError,
    alarm_names,
    evaluate_datapoints,
    evaluate_expression,
    evaluate_rule,
    low_sample_threshold,
    parse_alarm_rule,
    parse_expression,
    parse_statistic,
)

NAN = math.nan
RETAIN = "retain"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def _points(text: str) -> list[float]:
    """'0 - X - X' -> datapoints: 0 is below the threshold (1), X above, - missing."""
    return [{"0": 0.0, "X": 5.0, "-": NAN}[c] for c in text.split()]


# The current page's tables (evaluation range 5, EvaluationPeriods 3), then the rows of the
# page's earlier version that the current one dropped (same semantics, more cases).
THREE_OF_THREE = [
    ("0 - X - X", ("OK", "OK", "OK", "OK")),
    ("0 - - - -", ("OK", "OK", "OK", "OK")),
    ("- - - - -", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    ("0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("- - X - -", ("ALARM", RETAIN, "ALARM", "OK")),
    ("- - - - X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    ("X - - - -", ("ALARM", RETAIN, "ALARM", "OK")),
]
TWO_OF_THREE = [
    ("0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0 - X - -", ("OK", "OK", "ALARM", "OK")),
    ("- - - - 0", ("OK", "OK", "ALARM", "OK")),
    ("- - - X -", ("ALARM", RETAIN, "ALARM", "OK")),
    ("- - - - X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
]
NAMES = {"OK": OK, "ALARM": ALARM, "INSUFFICIENT_DATA": INSUFFICIENT_DATA}


@pytest.fixture(params=["python", "numpy"])
def ops(request) -> Ops:
    return PythonOps(seed=0) if request.param == "python" else NumpyOps(seed=0, runs=1)


def _series(ops: Ops, values: list[float]):
    return ops.stack([ops.full(v) for v in values])


def _scalar(ops: Ops, vector) -> float:
    return ops.values(vector)[0]


@pytest.mark.parametrize(
    ("m", "row", "expected"),
    [(3, r, e) for r, e in THREE_OF_THREE] + [(2, r, e) for r, e in TWO_OF_THREE],
    ids=lambda v: v if isinstance(v, str) else None,
)
@pytest.mark.parametrize("previous", [OK, ALARM])
def test_missing_data_tables_of_the_documentation(ops, m, row, expected, previous):
    for treat, want in zip(TREATMENTS, expected, strict=True):
        state = evaluate_datapoints(
            ops,
            _series(ops, _points(row)),
            comparison="GreaterThanThreshold",
            threshold=1,
            evaluation_periods=3,
            datapoints_to_alarm=m,
            treat_missing=treat,
            previous=ops.full(float(previous)),
        )
        wanted = previous if want == RETAIN else NAMES[want]
        assert _scalar(ops, state) == wanted, f"{row} {m}/3 {treat}"


@pytest.mark.parametrize(
    ("row", "m", "n", "expected"),
    [
        ("0 X 0 X X", 3, 5, ALARM),  # breaching points need not be consecutive
        ("0 X 0 X 0", 3, 5, OK),
        ("X X X X 0", 1, 1, OK),  # N=1: only the newest datapoint counts
        ("0 0 0 0 X", 1, 1, ALARM),
        ("X X - - -", 1, 1, ALARM),  # newest missing: the newest *existing* one decides
        ("X 0 - - -", 1, 1, OK),
    ],
)
def test_m_out_of_n(ops, row, m, n, expected):
    state = evaluate_datapoints(
        ops,
        _series(ops, _points(row)),
        comparison="GreaterThanThreshold",
        threshold=1,
        evaluation_periods=n,
        datapoints_to_alarm=m,
        treat_missing="notBreaching",
        previous=ops.full(float(OK)),
    )
    assert _scalar(ops, state) == expected


@pytest.mark.parametrize(
    ("comparison", "value", "breaches"),
    [
        ("GreaterThanThreshold", 1.0, False),
        ("GreaterThanOrEqualToThreshold", 1.0, True),
        ("LessThanThreshold", 0.5, True),
        ("LessThanOrEqualToThreshold", 1.5, False),
    ],
)
def test_comparison_operators(ops, comparison, value, breaches):
    state = evaluate_datapoints(
        ops,
        _series(ops, [value]),
        comparison=comparison,
        threshold=1,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        treat_missing="missing",
        previous=ops.full(float(OK)),
    )
    assert _scalar(ops, state) == (ALARM if breaches else OK)


# --- metric math --------------------------------------------------------------------------------


def _evaluate(ops: Ops, text: str, **inputs: list[float]) -> list[float]:
    series = {name: _series(ops, values) for name, values in inputs.items()}
    result = evaluate_expression(
        ops, parse_expression(text), series, metric_ids=list(inputs), period_seconds=60
    )
    width = len(next(iter(inputs.values())))
    return [_scalar(ops, ops.column(result, i)) for i in range(width)]


def _same(actual: list[float], expected: list[float]) -> bool:
    return all(
        (math.isnan(a) and math.isnan(e)) or a == pytest.approx(e)
        for a, e in zip(actual, expected, strict=True)
    )


M1, M2 = [30.0, 20.0, 0.0, 0.0], [20.0, NAN, 20.0, NAN]
IF_METRIC1 = [1.0, 1.0, 0.0, 0.0, NAN]
IF_METRIC2 = [30.0, NAN, 0.0, 0.0, 30.0]
IF_METRIC3 = [0.0, 0.0, 20.0, NAN, 20.0]


@pytest.mark.parametrize(
    ("text", "inputs", "expected"),
    [
        # The comparison table of the metric math page.
        ("metric1 < metric2", {"metric1": M1, "metric2": M2}, [0, 0, 1, 0]),
        ("metric1 >= 30", {"metric1": M1, "metric2": M2}, [1, 0, 0, 0]),
        ("metric1 > 15 AND metric2 > 15", {"metric1": M1, "metric2": M2}, [1, 0, 0, 0]),
        ("metric1 > 15 && metric2 > 15", {"metric1": M1, "metric2": M2}, [1, 0, 0, 0]),
        # The IF tables.
        (
            "IF(metric1, metric2, metric3)",
            {"metric1": IF_METRIC1, "metric2": IF_METRIC2, "metric3": IF_METRIC3},
            [30, 0, 20, NAN, NAN],
        ),
        (
            "IF(metric1, 5, metric3)",
            {"metric1": IF_METRIC1, "metric3": IF_METRIC3},
            [5, 5, 20, NAN, NAN],
        ),
        (
            "IF(metric1, metric2, 5)",
            {"metric1": IF_METRIC1, "metric2": IF_METRIC2},
            [30, 0, 5, 5, NAN],
        ),
        ("IF(m1 > 1, m1)", {"m1": [0.0, 2.0, NAN]}, [NAN, 2, NAN]),
        # Arithmetic: a missing value counts as 0 against a present one; x/0 is dropped.
        ("m1 + m2", {"m1": [1.0, NAN, NAN], "m2": [2.0, 3.0, NAN]}, [3, 3, NAN]),
        ("m1 / m2", {"m1": [1.0, 1.0], "m2": [4.0, 0.0]}, [0.25, NAN]),
        ("2 ^ m1 - -m1 * 3", {"m1": [1.0, 2.0]}, [5, 10]),
        ("(m1 + 1) * 2", {"m1": [1.0, NAN]}, [4, NAN]),
        # The library's error-rate expression: no datapoint while fewer than 3 errors exist.
        (
            "IF(errors >= 3, 100 * errors / invocations, 0)",
            {"errors": [0.0, 3.0, NAN, 6.0], "invocations": [10.0, 10.0, NAN, 600.0]},
            [0, 30, NAN, 1],
        ),
        ("FILL(m1, 0)", {"m1": [NAN, 1.0, NAN]}, [0, 1, 0]),
        ("FILL(m1, REPEAT)", {"m1": [NAN, 1.0, NAN, NAN, 4.0]}, [NAN, 1, 1, 1, 4]),
        ("FILL(m1, m2)", {"m1": [NAN, 1.0], "m2": [7.0, 8.0]}, [7, 1]),
        ("DIFF(m1)", {"m1": [1.0, 4.0, NAN, 10.0]}, [NAN, 3, NAN, 6]),
        ("RATE(m1)", {"m1": [60.0, 120.0, NAN, 240.0]}, [NAN, 1, NAN, 1]),
        ("SUM([m1, m2])", {"m1": [1.0, NAN, NAN], "m2": [2.0, 5.0, NAN]}, [3, 5, NAN]),
        ("AVG([m1, m2])", {"m1": [1.0, NAN], "m2": [3.0, 4.0]}, [2, 2]),
        ("MAX(METRICS())", {"m1": [1.0, NAN], "m2": [3.0, 4.0]}, [3, 4]),
        ("MIN(METRICS())", {"m1": [1.0, NAN], "m2": [3.0, 4.0]}, [1, 4]),
        ('SUM(METRICS("err"))', {"err1": [1.0], "err2": [2.0], "ok": [100.0]}, [3]),
        ("ABS(m1) + CEIL(m1) + FLOOR(m1)", {"m1": [-1.5]}, [-1.5]),
        ("LOG10(m1) + LOG(m1)", {"m1": [100.0, 0.0]}, [2 + math.log(100), NAN]),
        ("m1 / PERIOD(m1)", {"m1": [120.0]}, [2]),
        ("TIME_SERIES(7) + m1", {"m1": [NAN, 1.0]}, [7, 8]),
    ],
)
def test_metric_math(ops, text, inputs, expected):
    assert _same(_evaluate(ops, text, **inputs), [float(e) for e in expected])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SUM(m1)", "scalar over the whole query range"),
        ("ANOMALY_DETECTION_BAND(m1)", "not modelled"),
        ("m1 +", "cannot parse"),
        ("Errors / m1", "ids start lowercase"),
        ("m1 * 2 )", "unexpected"),
        ("FILL(m1, LINEAR)", "not modelled"),
        ("[m1, m1] + [m1]", "two arrays"),
        ("m1 # 2", "cannot parse"),
    ],
)
def test_unsupported_expressions_are_reported(ops, text, message):
    with pytest.raises(UnsupportedExpressionError, match=message):
        _evaluate(ops, text, m1=[1.0, 2.0])


def test_an_expression_that_returns_a_scalar_is_not_an_alarm(ops):
    with pytest.raises(UnsupportedExpressionError, match=r"must return one time series, .* S"):
        _evaluate(ops, "1 + 2", m1=[1.0])


def test_backends_agree_on_random_data():
    """The same datapoints through both backends give the same states and values."""
    rng = random.Random(7)
    rows = [[rng.choice([NAN, 0.0, 0.5, 1.0, 3.0, 9.0]) for _ in range(6)] for _ in range(300)]
    numpy_ops = NumpyOps(seed=0, runs=len(rows))
    columns = [numpy_ops.full(0.0) for _ in range(6)]
    for i in range(6):
        columns[i] = numpy_ops.np.array([row[i] for row in rows])
    vectorised = numpy_ops.stack(columns)
    python_ops = PythonOps(seed=0)

    def evaluate(ops: Ops, text: str, series: object):
        return evaluate_expression(
            ops, parse_expression(text), {"m1": series}, metric_ids=["m1"], period_seconds=60
        )

    for text in ("IF(m1 >= 3, 100 * m1 / (m1 + 1), 0)", "FILL(DIFF(m1), 0) + RATE(m1)"):
        numpy_result = evaluate(numpy_ops, text, vectorised)
        for index, row in enumerate(rows):
            assert _same(list(numpy_result[index]), evaluate(python_ops, text, row))

    def state(ops: Ops, values: object, treat: str, m: int, n: int):
        return evaluate_datapoints(
            ops,
            values,
            comparison="GreaterThanThreshold",
            threshold=1,
            evaluation_periods=n,
            datapoints_to_alarm=m,
            treat_missing=treat,
            previous=ops.full(float(ALARM)),
        )

    for treat in TREATMENTS:
        for m, n in ((1, 1), (2, 3), (3, 3)):
            states = state(numpy_ops, vectorised[:, 1:], treat, m, n)
            for index, row in enumerate(rows):
                assert states[index] == state(python_ops, row[1:], treat, m, n), (row, treat)


# --- statistics ---------------------------------------------------------------------------------


def test_statistics():
    assert parse_statistic("p99").percentile == 99
    assert parse_statistic("p99.9").percentile == pytest.approx(99.9)
    assert parse_statistic("Maximum").percentile is None
    for text in ("tm99", "TC(1:2)", "IQM", "p101", "Median"):
        with pytest.raises(UnsupportedExpressionError, match="is not modelled"):
            parse_statistic(text)


@pytest.mark.parametrize(
    ("percentile", "samples"),
    [(99, 1000), (99.9, 10000), (90, 100), (50, 20), (10, 100), (100, math.inf)],
)
def test_low_sample_threshold_is_the_documented_one(percentile, samples):
    assert low_sample_threshold(percentile) == pytest.approx(samples)


# --- composite rules ----------------------------------------------------------------------------


def _rule_state(ops: Ops, rule: str, states: dict[str, int]) -> bool:
    parsed = parse_alarm_rule(rule)
    result = evaluate_rule(ops, parsed, lambda name: ops.full(float(states[name])))
    return bool(_scalar(ops, result))


@pytest.mark.parametrize(
    ("rule", "states", "fires"),
    [
        ('ALARM("a")', {"a": ALARM}, True),
        ('ALARM("a")', {"a": INSUFFICIENT_DATA}, False),
        ('OK("a")', {"a": OK}, True),
        ('INSUFFICIENT_DATA("a")', {"a": INSUFFICIENT_DATA}, True),
        ('ALARM("a") OR ALARM("b")', {"a": OK, "b": ALARM}, True),
        ('ALARM("a") AND ALARM("b")', {"a": OK, "b": ALARM}, False),
        # AND binds tighter than OR; NOT tighter than AND.
        ('ALARM("a") OR ALARM("b") AND ALARM("c")', {"a": ALARM, "b": OK, "c": OK}, True),
        ('(ALARM("a") OR ALARM("b")) AND ALARM("c")', {"a": ALARM, "b": OK, "c": OK}, False),
        ('NOT ALARM("a") AND ALARM("b")', {"a": OK, "b": ALARM}, True),
        ("NOT (TRUE AND FALSE)", {}, True),
        ("FALSE", {}, False),
        (
            'ALARM("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:my-alarm")',
            {"my-alarm": ALARM},
            True,
        ),
        ("ALARM(bare-name)", {"bare-name": ALARM}, True),
        ('ALARM("${Ref:S:Errors}")', {"${Ref:S:Errors}": ALARM}, True),
    ],
)
def test_composite_rules(ops, rule, states, fires):
    assert _rule_state(ops, rule, states) is fires


def test_rule_names():
    parsed = parse_alarm_rule('ALARM("a") OR (OK("b") AND NOT INSUFFICIENT_DATA("a"))')
    assert alarm_names(parsed) == {"a", "b"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('ALARM("a") OR', "expected more input"),
        ('ALARM("a"', r"expected '\)'"),
        ('ALARM("a") XOR ALARM("b")', "unexpected"),
        ('AT_LEAST(2, ALARM, ("a", "b"))', "AT_LEAST"),
        ('ALARMS("a")', "unexpected"),
    ],
)
def test_bad_rules(rule, message):
    with pytest.raises(RuleSyntaxError, match=message):
        parse_alarm_rule(rule)
