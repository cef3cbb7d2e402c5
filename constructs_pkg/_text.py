"""Words for numbers and names, shared by constructs, tools and error messages.

Standard library only, so tools that never load aws_cdk can use it.
"""

from __future__ import annotations

import re

__all__ = ["approx_duration", "exact_duration", "number", "upper_snake"]

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))


def number(value: float) -> str:
    """``5.0`` -> ``5``; ``0.5`` -> ``0.5`` (how a user wrote it).

    Examples
    --------
    >>> number(5.0), number(0.25)
    ('5', '0.25')
    """
    return str(int(value)) if float(value).is_integer() else str(value)


def exact_duration(seconds: float, *, largest: str = "days") -> str:
    """Say ``seconds`` in its largest whole unit (at most ``largest``), for error messages.

    Examples
    --------
    >>> exact_duration(604800), exact_duration(90), exact_duration(7200, largest="minutes")
    ('7 days', '90 seconds', '120 minutes')
    >>> exact_duration(0.001)
    '1 millisecond'
    """
    if 0 < seconds < 1:
        millis = round(seconds * 1000, 3)
        return f"{number(millis)} millisecond" + ("s" if millis != 1 else "")
    names = [name for name, _ in _UNITS]
    for name, size in _UNITS[names.index(largest.rstrip("s")) :]:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {name}" + ("s" if count != 1 else "")
    return f"{number(seconds)} second" + ("s" if seconds != 1 else "")


def approx_duration(seconds: float | None, *, unknown: str = "unbounded") -> str:
    """Three significant digits in s, min or h: for reports a person reads.

    Examples
    --------
    >>> approx_duration(90), approx_duration(600), approx_duration(86400), approx_duration(None)
    ('90 s', '10 min', '24 h', 'unbounded')
    """
    if seconds is None:
        return unknown
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


def upper_snake(name: str) -> str:
    """``OrderEvents`` -> ``ORDER_EVENTS``: a construct id as an environment-variable name.

    Runs of other characters become one ``_``; none is left at either end.

    Examples
    --------
    >>> upper_snake("OrderEvents"), upper_snake("DbPassword"), upper_snake("Order--Events")
    ('ORDER_EVENTS', 'DB_PASSWORD', 'ORDER_EVENTS')
    """
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", snake).strip("_").upper()
