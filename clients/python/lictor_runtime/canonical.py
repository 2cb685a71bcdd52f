"""Canonical JSON (``docs/spec/README.md``, Canonical JSON; ``canonical.ts``): the bytes every
Lictor signature and MAC covers. Also :func:`loads`, a JSON parser with ``JSON.parse``'s
semantics for numbers (one number type: an integral value is an integer however it is written,
``1e3`` is 1000), which is what a reader must apply before it rebuilds signed bytes."""

from __future__ import annotations

import json
from typing import Any

from .encoding import js_sort_key

__all__ = ["NotCanonical", "canonical_json", "canonical_bytes", "loads", "MAX_SAFE_INTEGER", "is_safe_integer"]

#: 2^53 - 1, JavaScript's ``Number.MAX_SAFE_INTEGER``.
MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonical(ValueError):
    """A value that has no canonical form (a fraction, an integer beyond 2^53 - 1, NaN, …)."""


def is_safe_integer(value: Any) -> bool:
    """``Number.isSafeInteger`` for a parsed value (booleans are not numbers)."""
    return type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str) -> str:
    # Pairs of surrogates become one character, unpaired ones stay (JSON.stringify's view).
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    out = ['"']
    for ch in text:
        o = ord(ch)
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif o < 0x20 or 0xD800 <= o <= 0xDFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical_json(value: Any) -> str:
    """Serializes ``value`` canonically: keys sorted by UTF-16 code unit, no white space, safe
    integers only, strings as ``JSON.stringify`` writes them. Raises :class:`NotCanonical`."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise NotCanonical(f"canonical JSON allows safe integers only, got {value}")
        return str(int(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise NotCanonical(f"canonical JSON allows safe integers only, got {value!r}")
        return canonical_json(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        parts = []
        for key in sorted(value, key=lambda k: js_sort_key(k) if isinstance(k, str) else b""):
            if not isinstance(key, str):
                raise NotCanonical("canonical JSON keys are strings")
            parts.append(_string(key) + ":" + canonical_json(value[key]))
        return "{" + ",".join(parts) + "}"
    raise NotCanonical(f"canonical JSON cannot encode a {type(value).__name__}")


def canonical_bytes(value: Any) -> bytes:
    """The UTF-8 bytes of :func:`canonical_json` (unpaired surrogates are written escaped)."""
    return canonical_json(value).encode("utf-8")


def _number(text: str) -> Any:
    # JSON.parse has one number type (a double): integral values are integers however they are
    # written (1.0, 1e3, -0); integers beyond 2^53 lose precision (kept as float: not safe).
    f = float(text)
    if f.is_integer() and -MAX_SAFE_INTEGER <= f <= MAX_SAFE_INTEGER:
        return int(f)
    return f


def _integer(text: str) -> Any:
    if len(text) <= 17:
        n = int(text)
        if -MAX_SAFE_INTEGER <= n <= MAX_SAFE_INTEGER:
            return n
    return float(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """Parses JSON as JavaScript's ``JSON.parse`` does (numbers above; the last of duplicate
    keys wins; ``NaN`` and ``Infinity`` refused). Raises ``ValueError`` on invalid JSON."""
    return json.loads(text, parse_float=_number, parse_int=_integer, parse_constant=_constant)
