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

The answer the client then uses is ``signed.answer``, never the unsigned JSON around it.
Anything else is ``LICTOR_E_ANSWER_UNPROVEN`` with ``details["reason"]`` one of ``missing``,
``malformed``, ``license``, ``no-key``, ``signature``, ``not-covered``.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple

from .canonical import loads
from .encoding import b64url_decode, b64url_encode
from .errors import LictorError
from .license import VendorKey, license_covers, open_license, verify_ed25519

__all__ = [
    "ANSWER_PROOF_DOMAIN",
    "answer_signing_bytes",
    "new_nonce",
    "unproven",
    "AnswerVerifier",
]

#: The domain-separation label of every signed answer (``ANSWER_PROOF_DOMAIN``).
ANSWER_PROOF_DOMAIN = "lictor/v1/signed-answer"
MAX_LICENSE_LENGTH = 64 * 1024
MAX_SIGNED_LENGTH = 64 * 1024
NONCE_BYTES = 24
MAX_OPENED = 32


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

    def verify(
        self, body: Any, purpose: str, nonce: str, product: str, feature: Optional[str]
    ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """Checks ``body["proof"]`` proves an answer to the request that carried ``nonce`` for
        ``purpose``, by a license of this vendor that covers ``product`` (``feature``). Returns
        ``(answer, license)``: the signed answer and the license document that proved it."""
        proof = body.get("proof") if isinstance(body, dict) else None
        if proof is None:
            raise unproven("missing", "the answer carries no proof of a license")
        if (
            not isinstance(proof, dict)
            or proof.get("key") != "container"
            or not isinstance(proof.get("license"), str)
            or len(proof["license"]) > MAX_LICENSE_LENGTH
            or not isinstance(proof.get("signature"), str)
            or not isinstance(proof.get("signed"), str)
            or len(proof["signed"]) > MAX_SIGNED_LENGTH
        ):
            raise unproven("malformed", "the proof sent with the answer is malformed")
        signature = b64url_decode(proof["signature"])
        if signature is None or len(signature) != 64:
            raise unproven("malformed", "the proof's signature is not base64url of 64 bytes")
        try:
            signing_bytes = answer_signing_bytes(proof["signed"])
        except UnicodeEncodeError:
            raise unproven("malformed", "the proof's signed statement is not text") from None

        doc = self._open(proof["license"])
        keys = doc.get("containerKeys")
        if keys is None:
            raise unproven(
                "no-key",
                f"the license sent as proof (serial {doc['serial']}) names no container key; "
                "it was activated before containers had keys: activate it again",
            )
        container_key = b64url_decode(keys["sign"])
        if container_key is None or not verify_ed25519(container_key, signing_bytes, signature):
            raise unproven(
                "signature",
                f"the answer is not signed by the key of the license it names (serial {doc['serial']}): a forged answer",
            )

        try:
            statement = loads(proof["signed"])
        except (ValueError, RecursionError):
            statement = None
        if (
            not isinstance(statement, dict)
            or not isinstance(statement.get("answer"), dict)
            or not isinstance(statement.get("container"), str)
            or not isinstance(statement.get("nonce"), str)
            or not isinstance(statement.get("purpose"), str)
        ):
            raise unproven("malformed", "the signed statement is not { answer, container, nonce, purpose }")
        if statement["nonce"] != nonce:
            raise unproven(
                "signature",
                f"the answer is signed for another request (serial {doc['serial']}): a replayed answer",
            )
        if statement["purpose"] != purpose:
            raise unproven(
                "signature",
                f"the answer is signed as '{statement['purpose']}', not as '{purpose}': an answer to another question",
            )
        if statement["container"] != doc["containerId"]:
            raise unproven("signature", "the answer is signed for another container than the license it names")

        now_ms = int(self.clock() * 1000)
        if not license_covers(doc, product, feature, now_ms):
            what = f"product '{product}'" if feature is None else f"feature '{feature}' of product '{product}'"
            raise unproven(
                "not-covered",
                f"the license sent as proof (serial {doc['serial']}) holds no unexpired license for {what}",
            )
        return statement["answer"], doc
