"""Shared by the tests: the package on the path, the spec's vectors, keys and licenses made here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: spec/vectors of the repository (``LICTOR_SPEC_VECTORS`` names another copy).
VECTORS = Path(os.environ.get("LICTOR_SPEC_VECTORS", HERE.parents[2] / "spec" / "vectors"))


def vectors(name: str) -> Dict[str, Any]:
    """One vector file of spec/vectors, parsed."""
    with open(VECTORS / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------------
# A vendor, licenses and signed answers made here (what a genuine runtime would send).

import itertools  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from socketserver import ThreadingUnixStreamServer  # noqa: E402
from typing import Callable, List, Optional, Tuple  # noqa: E402

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey  # noqa: E402
from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from lictor_runtime.canonical import canonical_json  # noqa: E402
from lictor_runtime.encoding import b64url_decode, b64url_encode  # noqa: E402
from lictor_runtime.license import VendorKey, seal_license  # noqa: E402
from lictor_runtime.proof import answer_signing_bytes  # noqa: E402

_serials = itertools.count(1)


def raw_public(private: Any) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class Vendor:
    """A vendor key pair (the License Center's), made for one test."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.key = VendorKey(raw_public(self.private))
        self.public_key = self.key.text


class License:
    """A vendor-signed license file with its container's private signing key (what the
    runtime holds where the license was activated)."""

    def __init__(
        self,
        vendor: Vendor,
        product: str = "ERP",
        features: Tuple[str, ...] = ("reports", "api"),
        expires_at: Optional[str] = None,
        container_keys: bool = True,
    ) -> None:
        n = next(_serials)
        self.container = Ed25519PrivateKey.generate()
        self.doc: Dict[str, Any] = {
            "format": 1,
            "containerId": f"c-{n}",
            "activationId": f"a-{n}",
            "serial": f"LX-AAAA-BBBB-{n:04d}",
            "pin": 1,
            "issuedAt": "2026-01-01T00:00:00.000Z",
            "counter": 0,
            "owner": {"company": "Initech", "email": "it@initech.example"},
            "binding": {
                "kind": "hardware",
                "hardware": {
                    "platform": "linux", "osName": "Debian GNU/Linux", "osVersion": "12", "hostname": "ws-042",
                    "board": "", "ramBytes": 17179869184, "bios": "", "cpus": ["AMD Ryzen 7 7700 (8 cores)"],
                    "nics": ["52:54:00:12:34:42"], "disks": ["S6PNNS0W424242"],
                },
            },
            "licenses": [
                {
                    "product": product, "type": "single", "users": 1, "sessions": None, "arch": None,
                    "expiresAt": expires_at, "features": [{"code": f, "users": None} for f in features],
                }
            ],
        }
        self.box = X25519PrivateKey.generate()
        if container_keys:
            self.doc["containerKeys"] = {
                "sign": b64url_encode(raw_public(self.container)),
                "box": b64url_encode(raw_public(self.box)),
            }
        self.text = seal_license(self.doc, vendor.private)

    def upgraded(self, vendor: "Vendor", expires_at: Optional[str]) -> "License":
        """This license after a remote upgrade: the same container and keys, a new license text
        (the next counter, ``expires_at`` for every product) signed by ``vendor``."""
        new = License.__new__(License)
        new.container, new.box = self.container, self.box
        new.doc = {
            **self.doc,
            "counter": self.doc["counter"] + 1,
            "licenses": [{**entry, "expiresAt": expires_at} for entry in self.doc["licenses"]],
        }
        new.text = seal_license(new.doc, vendor.private)
        return new

    def proof(
        self, purpose: str, nonce: str, answer: Dict[str, Any], signer: Optional[Ed25519PrivateKey] = None,
        container: Optional[str] = None,
    ) -> Dict[str, Any]:
        """The proof of ``answer`` to the request that carried ``nonce``."""
        signed = canonical_json(
            {"answer": answer, "container": container or self.doc["containerId"], "nonce": nonce, "purpose": purpose}
        )
        signature = (signer or self.container).sign(answer_signing_bytes(signed))
        return {"license": self.text, "key": "container", "signature": b64url_encode(signature), "signed": signed}

    def open_session(self, sealed: str) -> Optional[bytes]:
        """What the runtime does with a sealed session secret: opens it with the container's
        X25519 private key (``openFromContainer``); ``None`` when it does not open."""
        return open_sealed(self.box, sealed, "signed-answer-session")

    def mac_proof(
        self, secret: bytes, purpose: str, nonce: str, answer: Dict[str, Any], container: Optional[str] = None
    ) -> Dict[str, Any]:
        """The proof of ``answer`` within a session under ``secret`` (``macRuntimeAnswer``)."""
        signed = canonical_json(
            {"answer": answer, "container": container or self.doc["containerId"], "nonce": nonce, "purpose": purpose}
        )
        mac = hmac.new(secret, answer_signing_bytes(signed), hashlib.sha256).digest()
        return {"key": "session", "mac": b64url_encode(mac), "signed": signed}


def open_sealed(box: X25519PrivateKey, sealed: str, context: str) -> Optional[bytes]:
    """``openFromContainer`` (docs/spec/remote-upgrade.md), written here apart from the client's sealing."""
    raw = b64url_decode(sealed)
    if raw is None or len(raw) < 32 + 12 + 16:
        return None
    ephemeral = raw[:32]
    try:
        shared = box.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral, info=f"lictor/v1/seal/{context}".encode()).derive(shared)
        return AESGCM(key).decrypt(raw[32:44], raw[44:], context.encode())
    except (ValueError, InvalidTag):
        return None


# ---------------------------------------------------------------------------------------------
# A fake runtime: a tiny HTTP server on loopback or a Unix socket whose answers a test decides.

Handler = Callable[[str, str, Dict[str, str], Any], Tuple[int, Any]]


class Recorded:
    def __init__(self, method: str, path: str, headers: Dict[str, str], body: Any) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body


class FakeRuntime:
    """Answers each request with ``handler(method, path, headers, body) -> (status, json)``
    (``json`` a ``str`` is sent as it is, as text/html; a third item is a content type for the
    text); records every request."""

    def __init__(self, handler: Handler, unix_path: Optional[str] = None) -> None:
        self.handler = handler
        self.requests: List[Recorded] = []
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 64 * 1024  # one write per answer (no Nagle delay between headers and body)

            def log_message(self, *args: Any) -> None:
                pass

            def address_string(self) -> str:
                return "local"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append(Recorded(self.command, self.path, headers, body))
                status, answer, *ctype_given = fake.handler(self.command, self.path, headers, body)
                if ctype_given:
                    data, ctype = answer.encode(), ctype_given[0]
                elif answer is None:
                    data, ctype = b"", None
                elif isinstance(answer, str):
                    data, ctype = answer.encode(), "text/html"
                else:
                    data, ctype = json.dumps(answer).encode(), "application/json; charset=utf-8"
                self.send_response(status)
                if ctype:
                    self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        if unix_path is not None:
            class UnixServer(ThreadingUnixStreamServer):
                daemon_threads = True

                def get_request(self):  # type: ignore[no-untyped-def]
                    sock, _ = super().get_request()
                    return sock, ("local", 0)

            self.server: Any = UnixServer(unix_path, H)
            self.url = None
            self.socket_path: Optional[str] = unix_path
        else:
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
            self.server.daemon_threads = True
            self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
            self.socket_path = None
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
