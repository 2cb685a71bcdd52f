"""Answer sessions with the runtime (``docs/spec/signed-answers.md``, "Sessions" and "Sessions with
the runtime"): after a verified signed answer, the client seals a fresh 32-byte secret to the
license's certified X25519 key (``containerKeys.box``) and names it in the header
``lictor-session``; while the runtime holds the session, it answers with
``proof = { key: "session", mac, signed }``, HMAC-SHA256 under the secret over the same bytes a
signature covers (the fresh nonce included), which :class:`~lictor_runtime.proof.AnswerVerifier`
checks instead of a signature.

The sealing is ``sealToContainer`` of ``docs/spec/remote-upgrade.md`` ("The secret sealed to the
container"): X25519 with a fresh key pair, HKDF-SHA256 (salt: the ephemeral public key, info
``lictor/v1/seal/<context>``), AES-256-GCM with the context as additional data.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Dict, Optional

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .encoding import b64url_decode, b64url_encode
from .errors import LictorError
from .license import hkdf_sha256

__all__ = [
    "ANSWER_SESSION_HEADER",
    "ANSWER_SESSION_BYTES",
    "SESSION_CONTEXT",
    "seal_to_container",
    "seal_answer_session",
    "answer_session_id",
    "AnswerSession",
]

#: The request header that names the client's session: ``<id>`` or ``<id>.<sealed secret>``.
ANSWER_SESSION_HEADER = "lictor-session"
#: Bytes of a session secret.
ANSWER_SESSION_BYTES = 32
#: The sealing context of session secrets.
SESSION_CONTEXT = "signed-answer-session"


def seal_to_container(
    box_public: str, secret: bytes, context: str, *, ephemeral: Optional[bytes] = None, iv: Optional[bytes] = None
) -> str:
    """``sealToContainer``: ``secret`` sealed to the container's X25519 key ``box_public``
    (base64url, 32 bytes) as ``base64url(E ‖ iv ‖ AES-256-GCM(key, iv, secret, aad=context))``.
    ``ephemeral`` (a 32-byte scalar) and ``iv`` are for test vectors; by default both are fresh.
    ``LICTOR_E_INVALID_INPUT`` for a key that is not an X25519 public key one can seal to."""
    raw = b64url_decode(box_public) if isinstance(box_public, str) else None
    if raw is None or len(raw) != 32:
        raise LictorError("LICTOR_E_INVALID_INPUT", "the container's box key is not a 32-byte X25519 key")
    private = X25519PrivateKey.generate() if ephemeral is None else X25519PrivateKey.from_private_bytes(ephemeral)
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:  # a low-order point: an all-zero shared secret
        raise LictorError("LICTOR_E_INVALID_INPUT", "the container's box key is not one to seal to") from None
    key = hkdf_sha256(shared, public, f"lictor/v1/seal/{context}", 32)
    nonce = secrets.token_bytes(12) if iv is None else iv
    sealed = AESGCM(key).encrypt(nonce, secret, context.encode("utf-8"))
    return b64url_encode(public + nonce + sealed)


def seal_answer_session(doc: Dict[str, Any], secret: bytes, **fixed: Any) -> str:
    """``sealAnswerSession``: a 32-byte session secret sealed to the X25519 key of the license
    ``doc``'s container (``containerKeys.box``), context ``signed-answer-session``."""
    keys = doc.get("containerKeys")
    box = keys.get("box") if isinstance(keys, dict) else None
    if not isinstance(box, str) or len(secret) != ANSWER_SESSION_BYTES:
        raise LictorError("LICTOR_E_INVALID_INPUT", "a session needs a container key and a 32-byte secret")
    return seal_to_container(box, secret, SESSION_CONTEXT, **fixed)


def answer_session_id(sealed: str) -> str:
    """``answerSessionId``: base64url of the first 16 bytes of SHA-256 of the sealed secret."""
    return b64url_encode(hashlib.sha256(sealed.encode("utf-8")).digest()[:16])


class AnswerSession:
    """A client's session with the runtime: a secret sealed to one license's container key.
    The secret itself is kept only as a ready HMAC-SHA256 key (its pads computed once).

    ``license`` is the verified license document the secret is sealed to (the license of the
    MAC'd answers); ``confirmed`` turns true once an answer came MAC'd under it (then the header
    names the id alone)."""

    def __init__(self, secret: bytes, license: Dict[str, Any], *, sealed: Optional[str] = None) -> None:
        if len(secret) != ANSWER_SESSION_BYTES:
            raise LictorError("LICTOR_E_INVALID_INPUT", "a session secret is 32 bytes")
        self.license = license
        self.sealed = sealed if sealed is not None else seal_answer_session(license, secret)
        self.id = answer_session_id(self.sealed)
        self.confirmed = False
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)

    @classmethod
    def open(cls, license: Dict[str, Any]) -> "AnswerSession":
        """A new session with ``license``: a fresh secret from the OS's CSPRNG, sealed."""
        return cls(secrets.token_bytes(ANSWER_SESSION_BYTES), license)

    def header(self) -> str:
        """The value of ``lictor-session``: ``<id>`` once confirmed, ``<id>.<sealed>`` before."""
        return self.id if self.confirmed else f"{self.id}.{self.sealed}"

    def mac(self, data: bytes) -> bytes:
        """HMAC-SHA256 under the session's secret."""
        m = self._mac.copy()
        m.update(data)
        return m.digest()

    def __repr__(self) -> str:
        return f"AnswerSession(id={self.id!r}, serial={self.license.get('serial')!r}, confirmed={self.confirmed})"
