"""Answer sessions against fake runtimes (docs/spec/signed-answers.md, "Sessions with the
runtime"): after a verified signed answer the client seals a secret to the license's container key
and names it (header ``lictor-session``) until an answer comes MAC'd, then names its id alone; a
runtime that lost the session signs again and is sent the sealed secret again; a signed answer of
another license starts a session with that one. A runtime that MACs under a made-up secret,
replays a MAC'd answer for another nonce or MACs another container's statement is refused."""

from __future__ import annotations

import hashlib
import os
import re
import time
import unittest
from typing import Any, Callable, Dict, List, Optional, Tuple

import support  # noqa: F401  (puts the package on the path)
from support import License, Vendor
from test_fake_runtime import NOW, ROUTES, FakeRuntimeCase

from lictor_runtime import Client, LictorError
from lictor_runtime.client import PURPOSES
from lictor_runtime.encoding import b64url_encode

HEADER = "lictor-session"
SEALED_HEADER = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{123}\Z")
ID_HEADER = re.compile(r"[A-Za-z0-9_-]{22}\Z")

# How the runtime proves an answer within a session:
# (license, secret, purpose, nonce, sent, signed) -> the answer's JSON.
Macer = Callable[[License, bytes, str, str, Dict[str, Any], Dict[str, Any]], Any]


def genuine_mac(lic: License, secret: bytes, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
    return {**sent, "proof": lic.mac_proof(secret, purpose, nonce, signed)}


class SessionRuntime:
    """A fake runtime that keeps answer sessions as the spec's runtime does: it opens a sealed
    secret (whose id matches) with the container keys of the licenses it holds, and MACs the
    answers of the license that grants when the named session is that license's; else it signs.
    ``granting`` is the license that grants; ``macer`` how it MACs."""

    def __init__(self, held: List[License], macer: Macer = genuine_mac) -> None:
        self.held = held
        self.granting = held[0]
        self.macer = macer
        self.sessions: Dict[str, Tuple[bytes, str]] = {}
        self.opened = 0
        #: Sign the next answer even within a session (the runtime does once after the license of
        #: a held session changed, so that clients learn it).
        self.sign_next = False

    def _session(self, header: Optional[str]) -> Optional[Tuple[bytes, str]]:
        if header is None:
            return None
        sid, _, sealed = header.partition(".")
        if sid in self.sessions:
            return self.sessions[sid]
        if not sealed or b64url_encode(hashlib.sha256(sealed.encode()).digest()[:16]) != sid:
            return None
        for lic in [self.granting] + [h for h in self.held if h is not self.granting]:
            secret = lic.open_session(sealed)
            if secret is not None and len(secret) == 32:
                self.opened += 1
                self.sessions[sid] = (secret, lic.doc["containerId"])
                return self.sessions[sid]
        return None

    def __call__(self, method: str, path: str, headers: Dict[str, str], body: Any) -> Tuple[int, Any]:
        if method == "DELETE":
            return 204, None
        kind, status, make = ROUTES[path]
        lic = self.granting
        sent, signed = make(lic, body)
        purpose = PURPOSES[kind]
        if kind != "seat":  # the header is not read for seats
            session = self._session(headers.get(HEADER))
            if session is not None and session[1] == lic.doc["containerId"] and not self.sign_next:
                return status, self.macer(lic, session[0], purpose, body["nonce"], sent, signed)
            self.sign_next = False
        return status, {**sent, "proof": lic.proof(purpose, body["nonce"], signed)}


class AnswerSessions(FakeRuntimeCase):
    def setUp(self) -> None:
        self.other = License(self.vendor)
        self.runtime = SessionRuntime([self.license, self.other])

    def headers(self) -> List[Optional[str]]:
        return [r.headers.get(HEADER) for r in self.fake.requests]

    def test_the_second_check_is_macd_and_then_the_session_is_named_by_its_id(self) -> None:
        client = self.serve(self.runtime)
        first = client.check("reports")
        second = client.check("reports")
        third = client.check("reports")
        self.assertEqual([g.proof_key for g in (first, second, third)], ["container", "session", "session"])
        for grant in (second, third):
            self.assertEqual(grant.answer, first.answer)
            self.assertEqual(grant.serial, self.license.doc["serial"])
            self.assertEqual(grant.license["containerId"], self.license.doc["containerId"])
        h = self.headers()
        self.assertIsNone(h[0])
        assert h[1] is not None and h[2] is not None
        self.assertRegex(h[1], SEALED_HEADER)
        self.assertRegex(h[2], ID_HEADER)
        self.assertEqual(h[1].split(".")[0], h[2])
        # A session open of the same product and feature is MAC'd within the same session.
        session = client.open_session("reports")
        self.assertEqual((session.proof_key, session.pid, session.serial), ("session", os.getpid(), self.license.doc["serial"]))
        self.assertEqual(self.headers()[3], h[2])
        # The product alone: signed the first time, then within the same session (its id alone).
        self.assertEqual([client.check().proof_key, client.check().proof_key], ["container", "session"])
        self.assertEqual(self.headers()[4:], [None, h[2]])
        self.assertEqual(self.runtime.opened, 1)

    def test_signatures_only_when_asked(self) -> None:
        fake_client = self.serve(self.runtime)
        fake_client.close()
        client = Client(self.vendor.public_key, "ERP", url=self.fake.url, clock=lambda: NOW, timeout=5, proof="signature")
        self.addCleanup(client.close)
        self.assertEqual([client.check("reports").proof_key for _ in range(3)], ["container"] * 3)
        self.assertEqual(client.open_session("reports").proof_key, "container")
        self.assertEqual(self.headers(), [None] * 4)
        with self.assertRaises(LictorError) as caught:
            Client(self.vendor.public_key, "ERP", url=self.fake.url, proof="mac")
        self.assertEqual(caught.exception.code, "LICTOR_E_INVALID_INPUT")

    def test_after_a_runtime_restart_the_sealed_secret_is_sent_again(self) -> None:
        client = self.serve(self.runtime)
        client.check("reports")
        self.assertEqual(client.check("reports").proof_key, "session")
        self.runtime.sessions.clear()  # a restart loses them all
        self.assertEqual(client.check("reports").proof_key, "container")
        self.assertEqual(client.check("reports").proof_key, "session")
        self.assertEqual(client.check("reports").proof_key, "session")
        h = self.headers()
        sid = h[1].split(".")[0] if h[1] else None
        self.assertEqual(h[1:], [h[1], sid, h[1], sid])
        self.assertEqual(self.runtime.opened, 2)

    def test_a_signed_answer_of_another_license_starts_a_session_with_it(self) -> None:
        client = self.serve(self.runtime)
        client.check("reports")
        client.check("reports")
        self.runtime.granting = self.other  # another license grants now: it signs
        moved = client.check("reports")
        self.assertEqual((moved.proof_key, moved.serial), ("container", self.other.doc["serial"]))
        within = client.check("reports")
        self.assertEqual((within.proof_key, within.serial), ("session", self.other.doc["serial"]))
        self.assertEqual(within.license["containerId"], self.other.doc["containerId"])
        h = self.headers()
        first_id = h[2]
        self.assertRegex(h[3] or "", SEALED_HEADER)
        self.assertNotEqual((h[3] or "").split(".")[0], first_id)
        # Back to the first license: its session is still held, named by its id alone.
        self.runtime.granting = self.license
        self.assertEqual(client.check("reports").proof_key, "container")
        back = client.check("reports")
        self.assertEqual((back.proof_key, back.serial), ("session", self.license.doc["serial"]))
        self.assertEqual(self.headers()[4:], [(h[3] or "").split(".")[0], first_id])
        self.assertEqual(self.runtime.opened, 2)

    def test_after_a_remote_upgrade_macd_answers_are_checked_against_the_new_license(self) -> None:
        t1, t2 = NOW + 86400, NOW + 30 * 86400
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))  # noqa: E731
        v1 = License(self.vendor, expires_at=iso(t1))
        v2 = v1.upgraded(self.vendor, iso(t2))
        self.assertEqual((v2.doc["containerId"], v2.doc["containerKeys"]), (v1.doc["containerId"], v1.doc["containerKeys"]))
        runtime = SessionRuntime([v1])
        self.serve(runtime).close()
        now = [NOW]
        client = Client(self.vendor.public_key, "ERP", url=self.fake.url, clock=lambda: now[0], timeout=5)
        self.addCleanup(client.close)
        self.assertEqual([client.check("reports").proof_key for _ in range(2)], ["container", "session"])
        # The upgrade: the runtime holds v2 now and signs once so that the client learns it.
        runtime.held, runtime.granting, runtime.sign_next = [v2], v2, True
        upgraded = client.check("reports")
        self.assertEqual((upgraded.proof_key, upgraded.license["counter"]), ("container", 1))
        now[0] = (t1 + t2) / 2  # v1 expired, v2 not
        within = client.check("reports")
        self.assertEqual((within.proof_key, within.license["counter"]), ("session", 1))
        self.assertEqual(within.license["licenses"][0]["expiresAt"], iso(t2))
        # The same session throughout: named by its id, then with its sealed secret again after
        # the signed answer.
        h = self.headers()
        sid = (h[1] or "").split(".")[0]
        self.assertEqual(h[1:], [h[1], sid, h[1]])
        self.assertEqual(runtime.opened, 1)

    def test_seats_never_name_the_session(self) -> None:
        client = self.serve(self.runtime)
        client.check("reports")
        client.check("reports")
        with client.take_seat("reports") as seat:
            self.assertEqual(seat.lease_id, "lease-1")
        self.assertIsNone(self.fake.requests[2].headers.get(HEADER))

    # -- runtimes whose MAC'd answers are refused -----------------------------------------

    def refused_within_a_session(self, macer: Macer, reason: str = "signature") -> None:
        self.runtime.macer = macer
        client = self.serve(self.runtime)
        self.assertEqual(client.check("reports").proof_key, "container")
        self.refused(lambda: client.check("reports"), reason)
        self.assertRegex(self.headers()[1] or "", SEALED_HEADER)
        self.assertEqual(self.runtime.opened, 1)

    def test_macd_under_a_made_up_secret(self) -> None:
        made_up = os.urandom(32)
        self.refused_within_a_session(
            lambda lic, secret, purpose, nonce, sent, signed: {**sent, "proof": lic.mac_proof(made_up, purpose, nonce, signed)}
        )

    def test_a_macd_answer_replayed_for_another_nonce(self) -> None:
        recorded: Dict[str, Any] = {}

        def replay(lic: License, secret: bytes, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            recorded.setdefault(purpose, {**sent, "proof": lic.mac_proof(secret, purpose, nonce, signed)})
            return recorded[purpose]

        self.runtime.macer = replay
        client = self.serve(self.runtime)
        client.check("reports")
        self.assertEqual(client.check("reports").proof_key, "session")  # the first MAC'd answer is genuine
        err = self.refused(lambda: client.check("reports"), "signature")
        self.assertIn("replayed", err.message)

    def test_macd_over_another_container_s_statement(self) -> None:
        other = self.other.doc["containerId"]
        self.refused_within_a_session(
            lambda lic, secret, purpose, nonce, sent, signed: {
                **sent, "proof": lic.mac_proof(secret, purpose, nonce, signed, container=other)
            }
        )

    def test_the_answer_beside_a_genuine_mac_altered(self) -> None:
        self.refused_within_a_session(
            lambda lic, secret, purpose, nonce, sent, signed: {
                **sent, "file": "/tmp/elsewhere.lic", "proof": lic.mac_proof(secret, purpose, nonce, signed)
            }
        )

    def test_macd_to_a_request_that_named_no_session(self) -> None:
        def forged(method: str, path: str, headers: Dict[str, str], body: Any) -> Tuple[int, Any]:
            kind, status, make = ROUTES[path]
            sent, signed = make(self.license, body)
            return status, {**sent, "proof": self.license.mac_proof(os.urandom(32), PURPOSES[kind], body["nonce"], signed)}

        client = self.serve(forged)
        for name, call in {
            "check": lambda: client.check("reports"),
            "session": lambda: client.open_session("reports"),
            "seat": lambda: client.take_seat("reports"),
        }.items():
            with self.subTest(name):
                self.refused(call, "signature")
        self.assertEqual(self.headers(), [None, None, None])


if __name__ == "__main__":
    unittest.main()
