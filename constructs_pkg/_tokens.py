"""Recognise CDK tokens in Python, by CDK's own markers: no round trip to the jsii process.

A string token (or an element of a list token) holds ``${Token[...]}`` (``#{Token[...]}``);
a number token is a double whose top 16 bits are ``0xFBFF``. Standard library only.
"""

from __future__ import annotations

import math
import struct
from typing import Any

__all__ = ["is_token"]

_NUMBER_TOKEN_BITS = 0xFBFF
_STRING_TOKEN_MARKERS = ("${Token[", "#{Token[")


def is_token(value: Any) -> bool:
    """Return True when ``value`` is a string, number or list token (not a Duration).

    Examples
    --------
    >>> is_token("orders"), is_token("${Token[TOKEN.20]}"), is_token(-1.8881545897087533e289)
    (False, True, True)
    >>> is_token(float("nan")), is_token(5)
    (False, False)
    """
    if isinstance(value, str):
        return any(marker in value for marker in _STRING_TOKEN_MARKERS)
    if isinstance(value, float):
        if not math.isfinite(value):
            return False  # NaN and infinity are plain bad numbers (they crash the jsii kernel)
        bits: int = struct.unpack(">Q", struct.pack(">d", value))[0]
        return bits >> 48 == _NUMBER_TOKEN_BITS
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return "#{Token[" in value[0]
    return False
