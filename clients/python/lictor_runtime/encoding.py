"""Byte and text encodings of the Lictor formats (``docs/spec/README.md``, Encodings), with the
JavaScript semantics the reference implementation has where Python's differ (white space,
string lengths in UTF-16 code units, sorting by code unit)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Optional

__all__ = [
    "b64url_encode",
    "b64url_decode",
    "b64_encode",
    "b64_decode",
    "js_length",
    "js_sort_key",
    "JS_SPACE",
    "js_clean",
    "js_trim",
]

_B64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")

#: JavaScript's ``\s``: white space and line terminators (ECMA-262), which includes U+FEFF and
#: U+00A0 but not U+001C–U+001F or U+0085 (which Python's ``\s`` includes).
JS_SPACE = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_SPACE_RUN = re.compile(f"[{JS_SPACE}]+")
_JS_TRIM = re.compile(f"^[{JS_SPACE}]+|[{JS_SPACE}]+\\Z")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> Optional[bytes]:
    """Strict base64url without padding; ``None`` for another character, a length of 1 mod 4 or
    text that is not exactly what encoding its bytes gives (unused low bits set)."""
    if not isinstance(text, str) or not _B64URL.match(text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if b64url_encode(data) == text else None


def b64_encode(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4)."""
    return base64.b64encode(data).decode("ascii")


def b64_decode(text: str) -> Optional[bytes]:
    """Strict standard base64 with padding; ``None`` for anything but canonical text."""
    if not _B64.match(text) or len(text) % 4 != 0:
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if b64_encode(data) == text else None


def js_length(text: str) -> int:
    """The length of a string as JavaScript counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def js_sort_key(text: str) -> bytes:
    """A key that sorts strings as JavaScript's ``<`` does: by UTF-16 code unit."""
    return text.encode("utf-16-be", "surrogatepass")


def js_clean(text: str) -> str:
    """``text.replace(/\\s+/g, ' ').trim()`` of JavaScript."""
    return js_trim(_JS_SPACE_RUN.sub(" ", text))


def js_trim(text: str) -> str:
    """``text.trim()`` of JavaScript."""
    return _JS_TRIM.sub("", text)
