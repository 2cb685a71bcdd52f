"""Signed answers (``packages/protocol/src/seat-proof.ts``): how the client tells a genuine runtime
from a fake one with nothing but the vendor public key the application embeds.

Every answer that grants something (a check, a session, a seat) carries
``proof = { license, key: "container", signature, signed }``:

1. ``license`` must open with the vendor key exactly as ``docs/spec/license-file.md`` says
   (another vendor's, an altered or a made-up license does not);
2. ``signature`` must be the Ed25519 signature of that license's container key
   (``containerKeys.sign``) over ``"lictor/v1/signed-answer" ‖ 0x00 ‖ UTF-8(signed)``;
3. ``signed`` is the canonical JSON ``{ answer, container, nonce, purpose }``: ``nonce`` must be
   the fresh one this client sent, ``purpose`` the one of the request, ``container`` the
   license's ``containerId``;
4. the license must cover the product (and feature) asked and not be expired by the local clock.

Within an answer session (:mod:`lictor_runtime.answer_session`), the runtime answers instead with
``proof = { key: "session", mac, signed }``: ``mac`` must be HMAC-SHA256 under the session's secret
over the same bytes (compared in constant time), and ``signed`` must name the container of the
license the session was sealed to; then 3 and 4 as above, with that license.

The answer the client then uses is ``signed.answer``, never the unsigned JSON around it.
Anything else is ``LICTOR_E_ANSWER_UNPROVEN`` with ``details["reason"]`` one of ``missing``,
``malformed``, ``license``, ``no-key``, ``signature``, ``not-covered``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple

import re

from .answer_session import AnswerSession
from .canonical import NotCanonical, canonical_json, loads
from .encoding import b64url_decode, b64url_encode, js_length
from .errors import LictorError
from .license import VendorKey, license_covers, open_license, verify_ed25519

__all__ = [
    "ANSWER_PROOF_DOMAIN",
    "is_answer_nonce",
    "answer_signing_bytes",
    "new_nonce",
    "unproven",
    "AnswerVerifier",
]

#: The domain-separation label of every signed answer (``ANSWER_PROOF_DOMAIN``).
ANSWER_PROOF_DOMAIN = "lictor/v1/signed-answer"
MAX_LICENSE_LENGTH = 64 * 1024
#: Longest ``signed`` statement accepted (an answer is a few hundred bytes).
MAX_SIGNED_LENGTH = 16 * 1024
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+\Z")
NONCE_BYTES = 24
MAX_OPENED = 32


def is_answer_nonce(nonce: Any) -> bool:
    """Whether ``nonce`` is canonical base64url (no padding) of 16–64 bytes (``isAnswerNonce``)."""
    if not isinstance(nonce, str) or len(nonce) > 88:
        return False
    raw = b64url_decode(nonce)
    return raw is not None and 16 <= len(raw) <= 64


def new_nonce(size: int = NONCE_BYTES) -> str:
    """A fresh nonce: base64url of ``size`` (16–64) bytes from the OS's CSPRNG."""
    if not 16 <= size <= 64:
        raise LictorError("LICTOR_E_INVALID_INPUT", "a nonce is 16–64 bytes")
    return b64url_encode(secrets.token_bytes(size))


def answer_signing_bytes(signed: str) -> bytes:
    """The bytes the container key signs: ``"lictor/v1/signed-answer" ‖ 0x00 ‖ UTF-8(signed)``."""
    return ANSWER_PROOF_DOMAIN.encode("ascii") + b"\0" + signed.encode("utf-8")


def unproven(reason: str, message: str, **details: Any) -> LictorError:
    """A ``LICTOR_E_ANSWER_UNPROVEN`` refusal with its reason."""
    return LictorError("LICTOR_E_ANSWER_UNPROVEN", message, {"reason": reason, **details})


class AnswerVerifier:
    """Verifies the proofs of granting answers with the vendor key the application embeds.
    ``clock`` (seconds since the epoch, default ``time.time``) judges the license's expiry."""

    def __init__(self, key: VendorKey, clock: Optional[Callable[[], float]] = None):
        self.key = key
        self.clock = clock or time.time
        self._opened: "OrderedDict[str, Dict[str, Any]]" = OrderedDict()

    def _open(self, text: str) -> Dict[str, Any]:
        known = self._opened.get(text)
        if known is not None:
            self._opened.move_to_end(text)
            return known
        try:
            doc = open_license(text, self.key)
        except LictorError as err:
            raise unproven(
                "license",
                f"the license sent as proof is not a genuine license of this vendor: {err.message}",
                cause=err.code,
            ) from None
        self._opened[text] = doc
        if len(self._opened) > MAX_OPENED:
            self._opened.popitem(last=False)
        return doc

    def _signed_proof_license(self, proof: Any) -> Dict[str, Any]:
        """Steps 1–3 for a signed proof ``{ license, key: "container", signature, signed }``:
        its shape (``malformed``), the license (``license``, ``no-key``), the signature
        (``signature``). Returns the license document."""
        if (
            not isinstance(proof, dict)
            or not isinstance(proof.get("license"), str)
            or js_length(proof["license"]) > MAX_LICENSE_LENGTH
            or proof.get("key") != "container"
            or not isinstance(proof.get("signature"), str)
            or len(proof["signature"]) > 128
            or not _BASE64URL.match(proof["signature"])
            or not isinstance(proof.get("signed"), str)
            or js_length(proof["signed"]) > MAX_SIGNED_LENGTH
        ):
            raise unproven("malformed", "the proof of the runtime's answer is malformed")

        doc = self._open(proof["license"])
        keys = doc.get("containerKeys")
        if keys is None:
            raise unproven(
                "no-key",
                f"the license sent as proof (serial {doc['serial']}) names no container key; "
                "it was activated before containers had keys: activate it again",
            )
        signature = b64url_decode(proof["signature"])
        container_key = b64url_decode(keys["sign"])
        try:
            signing_bytes = answer_signing_bytes(proof["signed"])
        except UnicodeEncodeError:  # an unpaired surrogate: no UTF-8, nothing was signed
            signing_bytes = None
        if (
            signature is None
            or container_key is None
            or signing_bytes is None
            or not verify_ed25519(container_key, signing_bytes, signature)
        ):
            raise unproven(
                "signature",
                f"the runtime's answer is not signed by the key of the license it names (serial {doc['serial']}): a forged answer",
            )
        return doc

    def verify(
        self, body: Any, purpose: str, nonce: str, product: str, feature: Optional[str]
    ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """Checks ``body["proof"]`` proves ``body`` as the answer to the request that carried
        ``nonce`` for ``purpose`` (``runtime-check``, ``runtime-session``, ``lease`` for a seat),
        by a license of this vendor that covers ``product`` (``feature``). Returns
        ``(answer, license)``: the answer as signed and the license document that proved it.
        A request that named no session: a MAC'd answer is refused (:meth:`verify_answer`)."""
        answer, doc, _ = self.verify_answer(body, purpose, nonce, product, feature)
        return answer, doc

    def verify_answer(
        self,
        body: Any,
        purpose: str,
        nonce: str,
        product: str,
        feature: Optional[str],
        session: Optional[AnswerSession] = None,
    ) -> Tuple[Dict[str, Any], Dict[str, Any], str]:
        """:meth:`verify` for a request that named ``session`` (header ``lictor-session``), if
        any: an answer MAC'd under it (``proof.key`` ``session``) is accepted with the session's
        license as the license; without a session such an answer is refused (``signature``).
        Returns ``(answer, license, key)``, ``key`` how it was proven: ``container`` (signed by
        the license's container key) or ``session`` (MAC'd).

        The checks and their order are those of the reference ``verifyRuntimeAnswer``
        (``packages/protocol/src/runtime-answer.ts``), so that every client refuses a given
        answer with the same reason."""
        received = body if isinstance(body, dict) else {}
        proof = received.get("proof")
        if proof is None:
            # A license that cannot sign here is answered with proof: null and why.
            why = received.get("unproven")
            why = why if isinstance(why, dict) else {}
            message = why.get("message")
            extra = {"unproven": why["reason"]} if isinstance(why.get("reason"), str) else {}
            raise unproven(
                "missing",
                "the runtime's answer carries no proof of a license" + (f": {message}" if isinstance(message, str) else ""),
                **extra,
            )
        if isinstance(proof, dict) and proof.get("key") == "session":
            doc = _session_proof_license(proof, purpose, session)
        else:
            doc = self._signed_proof_license(proof)

        try:
            statement = loads(proof["signed"])
        except (ValueError, RecursionError):
            raise unproven("malformed", "the signed statement is not JSON") from None
        if not isinstance(statement, dict) or "answer" not in statement:
            raise unproven("malformed", "the signed statement is not an answer")
        if (
            statement.get("container") != doc["containerId"]
            or statement.get("nonce") != nonce
            or statement.get("purpose") != purpose
        ):
            raise unproven(
                "signature",
                "the signed statement is not for this request (its nonce, purpose or container differ: "
                f"expected purpose '{purpose}'): a replayed answer",
            )

        signed_answer = statement["answer"]
        granted_product, granted_feature = _grant_of(purpose, signed_answer)
        what = f"product '{product}'" if feature is None else f"feature '{feature}' of product '{product}'"
        if granted_product != product or granted_feature != feature or not isinstance(granted_product, str):
            raise unproven("not-covered", f"the signed answer is not about {what}")
        if not license_covers(doc, product, feature, round(self.clock() * 1000)):
            raise unproven(
                "not-covered",
                f"the license sent as proof (serial {doc['serial']}) holds no unexpired license for {what}",
            )

        fields = {k: v for k, v in received.items() if k not in ("proof", "unproven")}
        if purpose == "lease":
            lease = signed_answer["lease"]
            same = (
                _equal(fields.get("leaseId", _ABSENT), lease.get("id", _ABSENT))
                and _equal(fields.get("product", _ABSENT), product)
                and _equal(_or_none(fields.get("feature")), feature)
            )
        else:
            same = _same_json(fields, signed_answer)
        if not same:
            raise unproven("signature", "the runtime's answer differs from the answer it signed")
        return signed_answer, doc, proof["key"]


_ABSENT = object()


def _session_proof_license(proof: Dict[str, Any], purpose: str, session: Optional[AnswerSession]) -> Dict[str, Any]:
    """Steps 1–3 for a proof ``{ key: "session", mac, signed }``: its shape (``malformed``), a
    session named by the request and a purpose the runtime MACs (``signature``), the HMAC-SHA256
    under the session's secret over ``domain ‖ 0x00 ‖ UTF-8(signed)`` compared in constant time
    (``signature``). Returns the session's license, which the statement must then name."""
    mac = proof.get("mac")
    signed = proof.get("signed")
    if (
        not isinstance(mac, str)
        or len(mac) > 64
        or not _BASE64URL.match(mac)
        or not isinstance(signed, str)
        or js_length(signed) > MAX_SIGNED_LENGTH
    ):
        raise unproven("malformed", "the proof of the runtime's answer is malformed")
    if session is None or purpose == "lease":
        raise unproven(
            "signature",
            "a seat's answer is MAC'd: only the License Manager's signature proves a seat"
            if purpose == "lease"
            else "the runtime's answer is MAC'd under a session this request did not name: a forged answer",
        )
    received = b64url_decode(mac)
    try:
        expected: Optional[bytes] = session.mac(answer_signing_bytes(signed))
    except UnicodeEncodeError:  # an unpaired surrogate: no UTF-8, nothing was MAC'd
        expected = None
    if received is None or expected is None or not hmac.compare_digest(received, expected):
        raise unproven(
            "signature",
            f"the runtime's answer is not MAC'd under this client's session with license {session.license['serial']}: a forged answer",
        )
    return session.license


def _or_none(value: Any) -> Any:
    return None if value is None else value


def _equal(a: Any, b: Any) -> bool:
    """JavaScript's ``===`` between two parsed JSON scalars (``1 == True`` is not equal)."""
    if a is _ABSENT or b is _ABSENT:
        return a is b
    return type(a) is type(b) and a == b


def _grant_of(purpose: str, answer: Any) -> Tuple[Any, Any]:
    """What a signed answer grants: product and feature of a check or session, or of a seat's lease."""
    a = answer if isinstance(answer, dict) else {}
    g = a.get("lease") if purpose == "lease" else a
    if purpose == "lease" and g is None:
        g = {}
    if not isinstance(g, dict):
        return _ABSENT, _ABSENT
    return g.get("product", _ABSENT), _or_none(g.get("feature"))


def _same_json(a: Any, b: Any) -> bool:
    try:
        return canonical_json(a) == canonical_json(b)
    except NotCanonical:
        return False
