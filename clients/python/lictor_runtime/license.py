"""License files, opened offline with the vendor public key (``docs/spec/license-file.md``).

A license file is a license document (JSON) signed by the vendor (Ed25519) and encrypted
(AES-256-GCM under a key that HKDF derives from the vendor public key), in an armored text
block. :func:`open_license` checks everything the specification lists, in its order, and returns
the document only when all of it passes; every refusal is a :class:`~lictor_runtime.LictorError`
with the specification's code::

    from lictor_runtime.license import VendorKey, open_license

    key = VendorKey.parse("lictor-ed25519:...")        # the key the application embeds
    doc = open_license(open("ERP.lic").read(), key)   # dict: serial, licenses, containerKeys, ...

The document is a ``dict`` with the members of the specification's table (unknown top-level
members dropped, as the reference reader does).
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .canonical import canonical_bytes, is_safe_integer, loads
from .encoding import JS_SPACE, b64_decode, b64_encode, b64url_decode, b64url_encode, js_clean, js_length, js_sort_key, js_trim
from .errors import LictorError

__all__ = [
    "VendorKey",
    "open_license",
    "parse_license_document",
    "license_covers",
    "instant_ms",
    "normalize_hardware",
    "subject_digest",
    "license_signed_view",
    "license_signing_bytes",
    "seal_license",
    "dearmor",
    "armor",
    "hkdf_sha256",
    "verify_ed25519",
]

PUBLIC_KEY_PREFIX = "lictor-ed25519:"
MAGIC = b"LCTR"
VERSION = 1
KINDS = {"license": 1, "blacklist": 2, "request": 3, "question": 4}
HEADER_LENGTH = 4 + 1 + 1 + 8 + 16 + 12
SIGNATURE_LENGTH = 64
TAG_LENGTH = 16
MAX_ARMORED_LENGTH = 1024 * 1024
SUBJECT_DIGEST_BYTES = 10


def _fail(code: str, message: str) -> LictorError:
    return LictorError(code, message)


def hkdf_sha256(ikm: bytes, salt: bytes, info: str, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869), the info string as UTF-8."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info.encode("utf-8")).derive(ikm)


def verify_ed25519(public_raw: bytes, data: bytes, signature: bytes) -> bool:
    """Ed25519 (RFC 8032, OpenSSL's checks) of ``signature`` over ``data``; ``False`` for a
    malformed key or signature."""
    if len(public_raw) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False


class VendorKey:
    """A vendor's Ed25519 public key in the text form applications embed,
    ``lictor-ed25519:<base64url of 32 bytes>``; it verifies and decrypts license files."""

    __slots__ = ("raw", "key_id", "text")

    def __init__(self, raw: bytes):
        if len(raw) != 32:
            raise LictorError("LICTOR_E_PUBLIC_KEY_INVALID", "a vendor public key is 32 bytes")
        self.raw = bytes(raw)
        #: The first 8 bytes of SHA-256 of the raw key; written in every sealed file.
        self.key_id = hashlib.sha256(self.raw).digest()[:8]
        self.text = PUBLIC_KEY_PREFIX + b64url_encode(self.raw)

    @classmethod
    def parse(cls, text: str) -> "VendorKey":
        """Parses the text form (white space around it is ignored); ``LICTOR_E_PUBLIC_KEY_INVALID``
        for anything without the prefix, non-canonical base64url or not 32 bytes."""
        trimmed = js_trim(text) if isinstance(text, str) else ""
        raw = b64url_decode(trimmed[len(PUBLIC_KEY_PREFIX) :]) if trimmed.startswith(PUBLIC_KEY_PREFIX) else None
        if raw is None or len(raw) != 32:
            raise LictorError(
                "LICTOR_E_PUBLIC_KEY_INVALID",
                f"the vendor public key must look like {PUBLIC_KEY_PREFIX}<43 base64url characters>",
            )
        return cls(raw)

    def verify(self, data: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is the vendor's Ed25519 signature over ``data``."""
        return verify_ed25519(self.raw, data, signature)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VendorKey) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"VendorKey({self.text!r})"


# ---------------------------------------------------------------------------------------------
# Armor

_LINE_START = re.compile(f"^[{JS_SPACE}>]*")
_SPACE = re.compile(f"[{JS_SPACE}]+")
_ARMOR_CHARS = re.compile(r"[A-Za-z0-9+/=]*\Z")
_OTHER_BLOCK = re.compile(r"-----BEGIN (LICTOR [A-Z ]+)-----")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _label(kind: str) -> str:
    return f"LICTOR {kind.upper()}"


def armor(kind: str, data: bytes) -> str:
    """The armored text of a Lictor file: base64 in lines of 64 characters between BEGIN/END lines."""
    b64 = b64_encode(data)
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {_label(kind)}-----\n" + "\n".join(lines) + f"\n-----END {_label(kind)}-----\n"


def dearmor(kind: str, text: str) -> bytes:
    """The bytes inside the first armored block of ``kind`` in ``text`` (tolerant of CRLF,
    indentation, ``>`` quoting, re-wrapping and text around it; strict about the base64)."""
    if not isinstance(text, str):
        raise _fail("LICTOR_E_FILE_FORMAT", f"a {kind} file is text")
    if js_length(text) > MAX_ARMORED_LENGTH:
        raise _fail("LICTOR_E_FILE_FORMAT", f"the text is longer than {MAX_ARMORED_LENGTH} characters")
    begin = f"-----BEGIN {_label(kind)}-----"
    end = f"-----END {_label(kind)}-----"
    start = text.find(begin)
    if start < 0:
        other = _OTHER_BLOCK.search(text)
        raise _fail(
            "LICTOR_E_FILE_FORMAT",
            f"this is a {other.group(1)} block, not a {_label(kind)} block"
            if other
            else f"no '{begin}' line found: this is not a Lictor {kind} file",
        )
    stop = text.find(end, start + len(begin))
    if stop < 0:
        raise _fail("LICTOR_E_FILE_TRUNCATED", f"the '{end}' line is missing: the {kind} file is truncated")
    b64 = []
    for i, raw in enumerate(_LINE_BREAK.split(text[start + len(begin) : stop])):
        line = _SPACE.sub("", _LINE_START.sub("", raw, count=1))
        if not _ARMOR_CHARS.match(line):
            raise _fail("LICTOR_E_FILE_FORMAT", f"unexpected characters in line {i + 1} of the {kind} block")
        b64.append(line)
    data = b64_decode("".join(b64))
    if data is None:
        raise _fail("LICTOR_E_FILE_FORMAT", f"the {kind} block is not valid base64 (a character was changed)")
    return data


# ---------------------------------------------------------------------------------------------
# License documents

_MISSING = object()
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_INSTANT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,3}))?Z\Z")


def _days_from_civil(y: int, m: int, d: int) -> int:
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def instant_ms(text: Any) -> Optional[int]:
    """Epoch milliseconds of an ISO instant as the specification reads it (the pattern
    ``YYYY-MM-DDTHH:MM:SS(.s{1,3})?Z``, then JavaScript's ``Date.parse``: a day up to 31 in any
    month and the hour 24 roll over); ``None`` when it is not one."""
    if not isinstance(text, str):
        return None
    m = _INSTANT.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    ms = int((m.group(7) or "0").ljust(3, "0"))
    if not (1 <= month <= 12 and 1 <= day <= 31 and minute <= 59 and second <= 59):
        return None
    if hour > 24 or (hour == 24 and (minute or second or ms)):
        return None
    days = _days_from_civil(year, month, 1) + day - 1
    return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms


class _Reader:
    """The field readers of ``fields.ts``: every defect is ``LICTOR_E_FILE_FORMAT``."""

    @staticmethod
    def fail(field: str, what: str) -> LictorError:
        return LictorError("LICTOR_E_FILE_FORMAT", f"license file field '{field}' {what}")

    def obj(self, value: Any, field: str) -> Dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, "must be an object")
        return value

    def str(self, value: Any, field: str, max_length: Optional[int] = None) -> str:
        if not isinstance(value, str) or (max_length is not None and js_length(value) > max_length):
            raise self.fail(field, "must be a string")
        return value

    def int(self, value: Any, field: str, minimum: int = 0) -> int:
        if not is_safe_integer(value) or value < minimum:
            raise self.fail(field, f"must be an integer ≥ {minimum}")
        return value

    def nullable(self, value: Any, read: Callable[[Any], Any]) -> Any:
        return None if value is None else read(value)

    def code(self, value: Any, field: str) -> str:
        s = self.str(value, field, 64)
        if not _CODE.match(s):
            raise self.fail(field, "must be a product or feature code")
        return s

    def instant(self, value: Any, field: str) -> str:
        s = self.str(value, field, 40)
        if instant_ms(s) is None:
            raise self.fail(field, "must be an ISO 8601 UTC instant")
        return s


_r = _Reader()


def is_hardware_params(value: Any) -> bool:
    """``isHardwareParams``: the shape of hardware parameters (unknown members not checked)."""
    if not isinstance(value, dict):
        return False

    def string(k: str) -> bool:
        v = value.get(k, _MISSING)
        return isinstance(v, str) and js_length(v) <= 256

    def strings(k: str) -> bool:
        v = value.get(k, _MISSING)
        return isinstance(v, list) and len(v) <= 64 and all(isinstance(x, str) and js_length(x) <= 256 for x in v)

    ram = value.get("ramBytes", _MISSING)
    return (
        all(string(k) for k in ("platform", "osName", "osVersion", "hostname", "board", "bios"))
        and is_safe_integer(ram)
        and ram >= 0
        and all(strings(k) for k in ("cpus", "nics", "disks"))
        and ("osSerial" not in value or string("osSerial"))
        and ("osInstallDate" not in value or string("osInstallDate"))
    )


def _parse_entry(v: Any, field: str) -> Dict[str, Any]:
    e = _r.obj(v, field)
    type_ = e.get("type", _MISSING)
    if not isinstance(type_, str) or type_ not in ("single", "multi", "server", "server-sessions"):
        raise _r.fail(f"{field}.type", "is not a known license type")
    arch = e.get("arch", _MISSING)
    if arch is not None and arch not in ("x86", "x64"):
        raise _r.fail(f"{field}.arch", "must be x86, x64 or null")
    features = e.get("features", _MISSING)
    if not isinstance(features, list):
        raise _r.fail(f"{field}.features", "must be a list")
    entry = {
        "product": _r.code(e.get("product", _MISSING), f"{field}.product"),
        "type": type_,
        "users": _r.int(e.get("users", _MISSING), f"{field}.users", 1),
        "sessions": _r.nullable(e.get("sessions", _MISSING), lambda x: _r.int(x, f"{field}.sessions", 1)),
        "arch": arch,
        "expiresAt": _r.nullable(e.get("expiresAt", _MISSING), lambda x: _r.instant(x, f"{field}.expiresAt")),
        "features": [],
    }
    for i, f in enumerate(features):
        g = _r.obj(f, f"{field}.features[{i}]")
        entry["features"].append(
            {
                "code": _r.str(g.get("code", _MISSING), f"{field}.features[{i}].code", 64),
                "users": _r.nullable(
                    g.get("users", _MISSING), lambda x, i=i: _r.int(x, f"{field}.features[{i}].users", 1)
                ),
            }
        )
    # The vendor's terms for borrowing and the grace period: signed with the entry, absent unless set.
    for name, most in (("borrowDays", 365), ("graceMinutes", 7 * 24 * 60)):
        if name in e:
            n = _r.int(e[name], f"{field}.{name}", 1)
            if n > most:
                raise _r.fail(f"{field}.{name}", f"must be at most {most}")
            entry[name] = n
    return entry


def _parse_binding(b: Dict[str, Any]) -> Dict[str, Any]:
    kind = b.get("kind", _MISSING)
    if kind == "hardware" and is_hardware_params(b.get("hardware", _MISSING)):
        return {"kind": "hardware", "hardware": b["hardware"]}
    if kind == "token":
        t = _r.obj(b.get("token", _MISSING), "binding.token")
        return {
            "kind": "token",
            "token": {
                "manufacturer": _r.str(t.get("manufacturer", _MISSING), "binding.token.manufacturer", 64),
                "model": _r.str(t.get("model", _MISSING), "binding.token.model", 64),
                "serial": _r.str(t.get("serial", _MISSING), "binding.token.serial", 64),
            },
            "publicKey": _r.str(b.get("publicKey", _MISSING), "binding.publicKey", 512),
        }
    raise _r.fail("binding", "is neither a hardware nor a token binding")


def parse_license_document(payload: Any) -> Dict[str, Any]:
    """Checks the shape of a license document (``parseLicenseDocument``) and returns it rebuilt
    from the checked members; ``LICTOR_E_FILE_FORMAT`` otherwise. Does not verify anything."""
    d = _r.obj(payload, "(root)")
    fmt = d.get("format", _MISSING)
    if not is_safe_integer(fmt) or fmt != 1:
        raise _r.fail("format", "must be 1")
    binding = _parse_binding(_r.obj(d.get("binding", _MISSING), "binding"))
    owner = _r.obj(d.get("owner", _MISSING), "owner")
    for k, v in owner.items():
        _r.str(v, f"owner.{k}", 256)
    licenses = d.get("licenses", _MISSING)
    if not isinstance(licenses, list) or len(licenses) == 0:
        raise _r.fail("licenses", "must be a non-empty list")
    doc: Dict[str, Any] = {}
    if "requestNonce" in d:
        doc["requestNonce"] = _r.str(d["requestNonce"], "requestNonce", 64)
    if "policy" in d:
        if not isinstance(d["policy"], str) or d["policy"] not in ("standard", "software-dongle"):
            raise _r.fail("policy", "is not a known policy")
        doc["policy"] = d["policy"]
    if "containerKeys" in d:
        k = _r.obj(d["containerKeys"], "containerKeys")
        doc["containerKeys"] = {
            "sign": _r.str(k.get("sign", _MISSING), "containerKeys.sign", 64),
            "box": _r.str(k.get("box", _MISSING), "containerKeys.box", 64),
        }
    if "upgrade" in d:
        u = _r.obj(d["upgrade"], "upgrade")
        doc["upgrade"] = {
            "nonce": _r.str(u.get("nonce", _MISSING), "upgrade.nonce", 64),
            "fromCounter": _r.int(u.get("fromCounter", _MISSING), "upgrade.fromCounter"),
            "confirm": _r.str(u.get("confirm", _MISSING), "upgrade.confirm", 256),
        }
    doc.update(
        {
            "format": 1,
            "containerId": _r.str(d.get("containerId", _MISSING), "containerId", 64),
            "activationId": _r.str(d.get("activationId", _MISSING), "activationId", 64),
            "serial": _r.str(d.get("serial", _MISSING), "serial", 64),
            "pin": _r.int(d.get("pin", _MISSING), "pin", 1),
            "issuedAt": _r.instant(d.get("issuedAt", _MISSING), "issuedAt"),
            "counter": _r.int(d.get("counter", _MISSING), "counter"),
            "owner": owner,
            "binding": binding,
            "licenses": [_parse_entry(e, f"licenses[{i}]") for i, e in enumerate(licenses)],
        }
    )
    return doc


# ---------------------------------------------------------------------------------------------
# Hardware parameters and the subject digest

_MAJOR_MINOR = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


def _major_minor(version: str) -> str:
    m = _MAJOR_MINOR.match(version)
    if not m:
        return version
    return m.group(1) if m.group(2) is None else f"{m.group(1)}.{m.group(2)}"


def _unique(items: List[str]) -> List[str]:
    seen: Dict[str, None] = {}
    for x in items:
        seen.setdefault(x, None)
    return list(seen)


def normalize_hardware(hw: Dict[str, Any]) -> Dict[str, Any]:
    """``normalizeHardware``: the form of hardware parameters the subject digest covers."""

    def listed(xs: List[str]) -> List[str]:
        return sorted((c for c in (js_clean(x) for x in xs) if c != ""), key=js_sort_key)

    out: Dict[str, Any] = {
        "platform": js_clean(hw["platform"]),
        "osName": js_clean(hw["osName"]),
        "osVersion": _major_minor(js_clean(hw["osVersion"])),
        "hostname": js_clean(hw["hostname"]).lower(),
        "board": js_clean(hw["board"]),
        "ramBytes": max(0, int(hw["ramBytes"])),
        "bios": js_clean(hw["bios"]),
        "cpus": listed(hw["cpus"]),
        "nics": sorted(
            _unique([m for m in (js_trim(n).lower().replace("-", ":") for n in hw["nics"]) if m != ""]),
            key=js_sort_key,
        ),
        "disks": _unique(listed(hw["disks"])),
    }
    for k in ("osSerial", "osInstallDate"):
        v = hw.get(k)
        if isinstance(v, str) and js_clean(v) != "":
            out[k] = js_clean(v)
    return out


def _sha256(label: str, value: Any) -> bytes:
    return hashlib.sha256(label.encode("utf-8") + b"\0" + canonical_bytes(value)).digest()


def _subject_members(doc: Dict[str, Any]) -> Dict[str, Any]:
    b = doc["binding"]
    if b["kind"] == "hardware":
        return {"owner": doc["owner"], "hardware": normalize_hardware(b["hardware"])}
    return {"owner": doc["owner"], "token": b["token"], "publicKey": b["publicKey"]}


def subject_private_digest(doc: Dict[str, Any]) -> str:
    """Format 2's private half: base64url of SHA-256 of owner and binding."""
    return b64url_encode(_sha256("lictor/v2/subject-private", _subject_members(doc)))


def subject_digest(doc: Dict[str, Any], subject_format: Optional[int] = None) -> str:
    """The 80-bit subject digest of a license (format 2 when it has container keys, else 1;
    ``subject_format`` forces one: a reader tries 2, then 1)."""
    keys = doc.get("containerKeys")
    fmt = subject_format if subject_format is not None else (2 if keys is not None else 1)
    if fmt == 2:
        if keys is None:
            raise LictorError("LICTOR_E_INVALID_INPUT", "format 2 of the subject digest needs container keys")
        value = {"containerKeys": keys, "private": subject_private_digest(doc)}
        return b64url_encode(_sha256("lictor/v2/subject", value)[:SUBJECT_DIGEST_BYTES])
    members = _subject_members(doc)
    if keys is not None:
        members["containerKeys"] = keys
    label = "lictor/v1/subject" if doc["binding"]["kind"] == "hardware" else "lictor/v1/token-subject"
    return b64url_encode(_sha256(label, members)[:SUBJECT_DIGEST_BYTES])


def license_signed_view(doc: Dict[str, Any], subject: Optional[str] = None) -> Dict[str, Any]:
    """What the vendor's signature covers: the document with owner, binding and container keys
    replaced by ``binding: { kind, subject }``."""
    view = {k: v for k, v in doc.items() if k not in ("owner", "binding", "containerKeys")}
    view["binding"] = {"kind": doc["binding"]["kind"], "subject": subject if subject is not None else subject_digest(doc)}
    return view


def _signing_bytes(kind: str, key_id: bytes, view: Any) -> bytes:
    return f"lictor/v1/{kind}\0".encode("utf-8") + key_id + canonical_bytes(view)


def license_signing_bytes(doc: Dict[str, Any], key: VendorKey, subject: Optional[str] = None) -> bytes:
    """The bytes the vendor signs for ``doc``: ``"lictor/v1/license\\0" ‖ key id ‖ canonical(view)``."""
    return _signing_bytes("license", key.key_id, license_signed_view(doc, subject))


# ---------------------------------------------------------------------------------------------
# The envelope


def _read_payload(plain: bytes) -> Any:
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        return _MISSING
    if text.startswith("\ufeff"):  # TextDecoder drops a byte order mark
        text = text[1:]
    try:
        return loads(text)
    except (ValueError, RecursionError):
        return _MISSING


def _open_envelope(kind: str, text: str, key: VendorKey) -> Tuple[bytes, bytes, bytes]:
    """Checks 1–7 of the specification; returns (key id, signature, payload bytes)."""
    data = dearmor(kind, text)
    if len(data) < HEADER_LENGTH + SIGNATURE_LENGTH + TAG_LENGTH:
        if len(data) >= 4 and data[:4] != MAGIC:
            raise _fail("LICTOR_E_FILE_FORMAT", f"not a Lictor {kind} file")
        raise _fail("LICTOR_E_FILE_TRUNCATED", f"the {kind} file is truncated ({len(data)} bytes)")
    if data[:4] != MAGIC:
        raise _fail("LICTOR_E_FILE_FORMAT", f"not a Lictor {kind} file")
    if data[4] != VERSION:
        raise _fail(
            "LICTOR_E_FILE_VERSION",
            f"the {kind} file has format version {data[4]}; this client reads version {VERSION}: upgrade it",
        )
    if data[5] != KINDS[kind]:
        raise _fail("LICTOR_E_FILE_FORMAT", f"the block holds another kind of document, not a {kind}")
    key_id = data[6:14]
    if key_id != key.key_id:
        raise _fail(
            "LICTOR_E_WRONG_VENDOR",
            f"the {kind} file was issued with vendor key {key_id.hex()}, not with this application's key {key.key_id.hex()}",
        )
    salt, iv = data[14:30], data[30:HEADER_LENGTH]
    aes_key = hkdf_sha256(key.raw, salt, f"lictor/v1/{kind}", 32)
    try:
        plain = AESGCM(aes_key).decrypt(iv, data[HEADER_LENGTH:], data[:HEADER_LENGTH])
    except InvalidTag:
        raise _fail("LICTOR_E_FILE_TAMPERED", f"the {kind} file was altered or corrupted; obtain it again") from None
    return key_id, plain[:SIGNATURE_LENGTH], plain[SIGNATURE_LENGTH:]


def open_license(text: str, key: VendorKey) -> Dict[str, Any]:
    """Verifies, decrypts and checks a license file (``decodeLicenseFile``) with the vendor key;
    returns its document. Refuses, in the specification's order, with ``LICTOR_E_FILE_FORMAT``,
    ``LICTOR_E_FILE_TRUNCATED``, ``LICTOR_E_FILE_VERSION``, ``LICTOR_E_WRONG_VENDOR``,
    ``LICTOR_E_FILE_TAMPERED`` or ``LICTOR_E_SIGNATURE_INVALID``."""
    return open_license_with_view(text, key)[0]


def open_license_with_view(text: str, key: VendorKey) -> Tuple[Dict[str, Any], Dict[str, Any], int]:
    """:func:`open_license`, also returning the signed view that verified and its subject format."""
    if not isinstance(key, VendorKey):
        key = VendorKey.parse(key)
    key_id, signature, payload_bytes = _open_envelope("license", text, key)
    payload = _read_payload(payload_bytes)
    if payload is _MISSING:
        raise _fail("LICTOR_E_FILE_FORMAT", "the license file's contents are not valid JSON")
    doc = parse_license_document(payload)
    # Format 2 of the subject digest for a license with container keys, then format 1.
    formats = (2, 1) if "containerKeys" in doc else (1,)
    for fmt in formats:
        view = license_signed_view(doc, subject_digest(doc, fmt))
        if verify_ed25519(key.raw, _signing_bytes("license", key_id, view), signature):
            return doc, view, fmt
    raise _fail("LICTOR_E_SIGNATURE_INVALID", "the license file is not signed by the vendor")


def license_covers(doc: Dict[str, Any], product: str, feature: Optional[str], now_ms: int) -> bool:
    """Whether ``doc`` holds an entry of ``product`` (with ``feature`` when not ``None``) that is
    not expired at ``now_ms`` (epoch milliseconds): ``answerLicenseCovers``."""
    for e in doc["licenses"]:
        if e["product"] != product:
            continue
        if feature is not None and not any(f["code"] == feature for f in e["features"]):
            continue
        expires = e["expiresAt"]
        if expires is None or (instant_ms(expires) or 0) > now_ms:
            return True
    return False


def seal_license(
    doc: Dict[str, Any],
    signer: Ed25519PrivateKey,
    salt: Optional[bytes] = None,
    iv: Optional[bytes] = None,
    subject_format: Optional[int] = None,
) -> str:
    """Signs, encrypts and armors a license document (``encodeLicenseFile``) with a vendor's
    private key: for tests and tools (the vendor's License Center writes the real ones). ``salt``
    and ``iv`` default to random bytes; the vectors fix them."""
    key = VendorKey(_raw_public(signer))
    salt = os.urandom(16) if salt is None else salt
    iv = os.urandom(12) if iv is None else iv
    header = MAGIC + bytes([VERSION, KINDS["license"]]) + key.key_id + salt + iv
    signature = signer.sign(license_signing_bytes(doc, key, subject_digest(doc, subject_format)))
    aes_key = hkdf_sha256(key.raw, salt, "lictor/v1/license", 32)
    sealed = AESGCM(aes_key).encrypt(iv, signature + canonical_bytes(doc), header)
    return armor("license", header + sealed)


def _raw_public(signer: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
