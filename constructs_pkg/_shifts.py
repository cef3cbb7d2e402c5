"""How a canary, linear or all-at-once rollout moves traffic: its timeline and its words.

One definition for the constructs (``Rollout``) and the tools that read templates
(``constructs_pkg.rehearsal``). Standard library only.

Examples
--------
>>> shift_timeline("linear", 30, 2)
[(0, 30), (2, 60), (4, 90), (6, 100)]
>>> describe_shifts("canary", 10, 5)
'canary: 10% for 5 minutes, then 100%'
>>> describe_shifts("all_at_once", 100, 0)
'all at once: 100% immediately'
"""

from __future__ import annotations

from constructs_pkg._text import number

__all__ = ["describe_shifts", "shift_timeline"]


def shift_timeline(kind: str, percent: float, interval_minutes: int) -> list[tuple[int, float]]:
    """(minute after the first shift, percent of traffic on the new version) of every shift.

    ``kind`` is ``canary`` (``percent`` at once, 100 after the interval), ``linear``
    (``percent`` more every interval until 100) or ``all_at_once``.
    """
    if kind == "all_at_once":
        return [(0, 100)]
    if kind == "canary":
        return [(0, percent), (interval_minutes, 100)]
    steps: list[tuple[int, float]] = []
    share, minute = percent, 0
    while share < 100:
        steps.append((minute, share))
        share += percent
        minute += interval_minutes
    steps.append((minute, 100))
    return steps


def describe_shifts(kind: str, percent: float, interval_minutes: int) -> str:
    """One line for humans: ``canary: 10% for 5 minutes, then 100%`` and so on."""
    if kind == "all_at_once":
        return "all at once: 100% immediately"
    unit = "minute" if interval_minutes == 1 else "minutes"
    if kind == "canary":
        return f"canary: {number(percent)}% for {interval_minutes} {unit}, then 100%"
    total = shift_timeline(kind, percent, interval_minutes)[-1][0]
    return (
        f"linear: +{number(percent)}% every {interval_minutes} {unit}, 100% after {total} minutes"
    )
