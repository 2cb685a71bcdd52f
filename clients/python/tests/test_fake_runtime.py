"""The client against fake runtimes (tiny HTTP servers in the test): a runtime that proves its
answers is believed; one that answers well-formed JSON without a valid proof (none, over another
nonce, another vendor's license, a made-up or altered license, another key, another purpose, a
license that does not cover what was asked) is refused with LICTOR_E_ANSWER_UNPROVEN."""

from __future__ import annotations

import os
import tempfile
import unittest
from typing import Any, Callable, Dict, Optional, Tuple

import support  # noqa: F401  (puts the package on the path)
from support import FakeRuntime, License, Vendor

from lictor_runtime import LictorError
from lictor_runtime.client import Client, PURPOSES
from lictor_runtime.encoding import b64url_decode

NOW = 1_780_000_000.0  # 2026-05-28, the clock the client is given


def check_answer(lic: License, body: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "product": body["product"],
        "feature": body.get("feature"),
        "serial": lic.doc["serial"],
        "licenseId": f"{lic.doc['activationId']}:{body['product']}",
        "type": "single",
        "users": None,
        "expiresAt": None,
        "file": "/var/lib/lictor/runtime/licenses/ERP.lic",
    }


def session_answer(lic: License, body: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "id": "s-1",
        "product": body["product"],
        "feature": body.get("feature"),
        "serial": lic.doc["serial"],
        "licenseId": f"{lic.doc['activationId']}:{body['product']}",
        "licenseFile": "/var/lib/lictor/runtime/licenses/ERP.lic",
        "pid": body["pid"],
        "osSession": "1",
        "openedAt": "2026-05-28T00:00:00.000Z",
    }


def seat_answer(lic: License, body: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The runtime's seat and the License Manager's lease answer (what the manager signs)."""
    lease = {
        "id": "lease-1",
        "product": body["product"],
        "feature": body.get("feature"),
        "licenseId": f"{lic.doc['activationId']}:{body['product']}",
        "source": "software",
        "grantedAt": "2026-05-28T00:00:00.000Z",
        "expiresAt": "2026-05-28T00:05:00.000Z",
        "heartbeatIntervalMs": 60000,
    }
    seat = {
        "id": "seat-1",
        "leaseId": "lease-1",
        "product": body["product"],
        "feature": body.get("feature"),
        "manager": "http://127.0.0.1:8790",
        "state": "active",
        "expiresAt": "2026-05-28T00:05:00.000Z",
        "heartbeatIntervalMs": 60000,
        "pid": body.get("pid"),
    }
    return seat, {"lease": lease, "renewed": False}


def same(make: Callable[[License, Dict[str, Any]], Dict[str, Any]]):
    """A check or session: what is sent is what is signed."""
    return lambda lic, body: (make(lic, body), make(lic, body))


ROUTES = {
    "/v1/check": ("check", 200, same(check_answer)),
    "/v1/sessions": ("session", 201, same(session_answer)),
    "/v1/seats": ("seat", 201, seat_answer),
}

# How a runtime builds its answer: (license, purpose, nonce, answer sent, answer signed) -> JSON.
Prover = Callable[[License, str, str, Dict[str, Any], Dict[str, Any]], Any]


def genuine(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
    return {**sent, "proof": lic.proof(purpose, nonce, signed)}


def runtime_handler(lic: License, prover: Prover = genuine):
    def handle(method: str, path: str, headers: Dict[str, str], body: Any) -> Tuple[int, Any]:
        if method == "GET" and path == "/v1/status":
            return 200, {"runtime": {"id": "rt", "version": "0.0.0"}, "products": [], "sessions": {}, "seats": {}}
        if method == "DELETE" and (path.startswith("/v1/sessions/") or path.startswith("/v1/seats/")):
            return 204, None
        route = ROUTES.get(path)
        if method != "POST" or route is None:
            return 404, {"code": "LICTOR_E_NOT_FOUND", "message": f"no route {method} {path}"}
        kind, status, make = route
        sent, signed = make(lic, body)
        return status, prover(lic, PURPOSES[kind], body["nonce"], sent, signed)

    return handle


class FakeRuntimeCase(unittest.TestCase):
    vendor: Vendor

    @classmethod
    def setUpClass(cls) -> None:
        cls.vendor = Vendor()
        cls.license = License(cls.vendor)

    def serve(self, handler: Any) -> Client:
        fake = FakeRuntime(handler)
        self.addCleanup(fake.close)
        self.fake = fake
        client = Client(self.vendor.public_key, "ERP", url=fake.url, clock=lambda: NOW, timeout=5)
        self.addCleanup(client.close)
        return client

    def refused(self, call: Callable[[], Any], reason: str, code: str = "LICTOR_E_ANSWER_UNPROVEN") -> LictorError:
        with self.assertRaises(LictorError) as caught:
            call()
        self.assertEqual(caught.exception.code, code, caught.exception.message)
        if reason:
            self.assertEqual(caught.exception.reason, reason, caught.exception.message)
        return caught.exception


class GenuineRuntime(FakeRuntimeCase):
    def test_a_proven_check_session_and_seat_are_believed(self) -> None:
        client = self.serve(runtime_handler(self.license))
        grant = client.check("reports")
        self.assertEqual((grant.product, grant.feature, grant.serial), ("ERP", "reports", self.license.doc["serial"]))
        self.assertEqual(grant.license["containerId"], self.license.doc["containerId"])
        session = client.open_session("reports")
        self.assertEqual((session.id, session.pid), ("s-1", os.getpid()))
        session.close()
        with client.take_seat("api") as seat:
            self.assertEqual((seat.id, seat.lease_id, seat.feature), ("seat-1", "lease-1", "api"))
        self.assertTrue(seat.released)
        methods = [(r.method, r.path) for r in self.fake.requests]
        self.assertEqual(
            methods,
            [("POST", "/v1/check"), ("POST", "/v1/sessions"), ("DELETE", "/v1/sessions/s-1"),
             ("POST", "/v1/seats"), ("DELETE", "/v1/seats/seat-1")],
        )

    def test_requests_are_json_with_a_fresh_nonce_and_no_origin(self) -> None:
        client = self.serve(runtime_handler(self.license))
        client.check()
        client.check("reports")
        client.open_session(os_session="7")
        nonces = []
        for r in self.fake.requests:
            self.assertEqual(r.headers["content-type"], "application/json")
            self.assertNotIn("origin", r.headers)
            self.assertRegex(r.headers["host"], r"^127\.0\.0\.1:\d+$")
            self.assertEqual(r.body["publicKey"], self.vendor.public_key)
            self.assertEqual(r.body["product"], "ERP")
            raw = b64url_decode(r.body["nonce"])
            self.assertIsNotNone(raw)
            self.assertTrue(16 <= len(raw) <= 64)
            nonces.append(r.body["nonce"])
        self.assertEqual(len(set(nonces)), 3)
        self.assertNotIn("feature", self.fake.requests[0].body)
        self.assertEqual(self.fake.requests[1].body["feature"], "reports")
        self.assertEqual(self.fake.requests[2].body["pid"], os.getpid())
        self.assertEqual(self.fake.requests[2].body["osSession"], "7")

    def test_the_answer_is_taken_from_what_is_signed(self) -> None:
        grant = self.serve(runtime_handler(self.license)).check("reports")
        self.assertEqual(grant.answer, check_answer(self.license, {"product": "ERP", "feature": "reports"}))
        seat = self.serve(runtime_handler(self.license)).take_seat()
        self.assertEqual(seat.answer["lease"]["id"], seat.lease_id)
        self.assertFalse(seat.answer["renewed"])

    def test_the_runtime_s_refusals_carry_its_code_message_and_details(self) -> None:
        def handle(method: str, path: str, headers: Dict[str, str], body: Any) -> Tuple[int, Any]:
            return 409, {
                "code": "LICTOR_E_SESSIONS_EXHAUSTED",
                "message": "257 processes",
                "details": {"limit": 256, "kind": "processes"},
            }

        err = self.refused(lambda: self.serve(handle).open_session(), "", "LICTOR_E_SESSIONS_EXHAUSTED")
        self.assertEqual(err.message, "257 processes")
        self.assertEqual(err.details, {"limit": 256, "kind": "processes"})
        self.assertEqual(err.status, 409)

    def test_status_is_read(self) -> None:
        self.assertEqual(self.serve(runtime_handler(self.license)).status()["runtime"]["id"], "rt")


class FakeRuntimes(FakeRuntimeCase):
    """Well-formed answers without a valid proof: each refused with its reason."""

    def assert_refused(self, prover: Prover, reason: str, lic: Optional[License] = None) -> None:
        client = self.serve(runtime_handler(lic or self.license, prover))
        for name, call in {
            "check": lambda: client.check("reports"),
            "session": lambda: client.open_session("reports"),
            "seat": lambda: client.take_seat("reports"),
        }.items():
            with self.subTest(name):
                self.refused(call, reason)

    def test_no_proof(self) -> None:
        self.assert_refused(lambda lic, purpose, nonce, sent, signed: sent, "missing")

    def test_a_proof_over_another_nonce(self) -> None:
        other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        self.assert_refused(
            lambda lic, purpose, nonce, sent, signed: {**sent, "proof": lic.proof(purpose, other, signed)}, "signature"
        )

    def test_a_recorded_answer_replayed(self) -> None:
        recorded: Dict[str, Any] = {}

        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            recorded.setdefault(purpose, {**sent, "proof": lic.proof(purpose, nonce, signed)})
            return recorded[purpose]

        client = self.serve(runtime_handler(self.license, prover))
        client.check("reports")  # the first answer is genuine
        self.refused(lambda: client.check("reports"), "signature")

    def test_another_vendor_s_license(self) -> None:
        self.assert_refused(genuine, "license", lic=License(Vendor()))

    def test_another_vendor_s_license_names_the_cause(self) -> None:
        client = self.serve(runtime_handler(License(Vendor())))
        err = self.refused(lambda: client.check("reports"), "license")
        self.assertEqual(err.details["cause"], "LICTOR_E_WRONG_VENDOR")

    def test_a_made_up_license(self) -> None:
        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            proof = lic.proof(purpose, nonce, signed)
            proof["license"] = "-----BEGIN LICTOR LICENSE-----\nTENUUgEB\n-----END LICTOR LICENSE-----\n"
            return {**sent, "proof": proof}

        self.assert_refused(prover, "license")

    def test_an_altered_license(self) -> None:
        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            proof = lic.proof(purpose, nonce, signed)
            lines = proof["license"].split("\n")
            lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
            proof["license"] = "\n".join(lines)
            return {**sent, "proof": proof}

        self.assert_refused(prover, "license")

    def test_signed_by_another_key_than_the_license_s(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        forger = Ed25519PrivateKey.generate()
        self.assert_refused(
            lambda lic, purpose, nonce, sent, signed: {**sent, "proof": lic.proof(purpose, nonce, signed, signer=forger)},
            "signature",
        )

    def test_signed_for_another_container(self) -> None:
        self.assert_refused(
            lambda lic, purpose, nonce, sent, signed: {**sent, "proof": lic.proof(purpose, nonce, signed, container="c-x")},
            "signature",
        )

    def test_an_answer_to_another_question(self) -> None:
        self.assert_refused(
            lambda lic, purpose, nonce, sent, signed: {
                **sent, "proof": lic.proof("runtime-session" if purpose == "runtime-check" else "runtime-check", nonce, signed)
            }, "signature"
        )

    def test_a_signed_statement_altered_after_signing(self) -> None:
        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            proof = lic.proof(purpose, nonce, signed)
            proof["signed"] = proof["signed"].replace('"type":"single"', '"type":"multi"').replace(
                '"renewed":false', '"renewed":true'
            ).replace('"osSession":"1"', '"osSession":"2"')
            return {**sent, "proof": proof}

        self.assert_refused(prover, "signature")

    def test_a_license_without_container_keys(self) -> None:
        self.assert_refused(genuine, "no-key", lic=License(self.vendor, container_keys=False))

    def test_a_license_of_another_product(self) -> None:
        self.assert_refused(genuine, "not-covered", lic=License(self.vendor, product="CAD"))

    def test_a_license_without_the_feature(self) -> None:
        self.assert_refused(genuine, "not-covered", lic=License(self.vendor, features=("api",)))

    def test_an_expired_license_by_the_local_clock(self) -> None:
        self.assert_refused(genuine, "not-covered", lic=License(self.vendor, expires_at="2026-05-27T00:00:00.000Z"))

    def test_a_signed_answer_about_another_feature(self) -> None:
        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            if purpose == "lease":
                signed = {**signed, "lease": {**signed["lease"], "feature": "api"}}
            else:
                sent = signed = {**signed, "feature": "api"}
            return {**sent, "proof": lic.proof(purpose, nonce, signed)}

        self.assert_refused(prover, "not-covered")

    def test_an_answer_that_differs_from_what_is_signed(self) -> None:
        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            changed = {**sent, "leaseId": "lease-2"} if purpose == "lease" else {**sent, "file": "/tmp/elsewhere.lic"}
            return {**changed, "proof": lic.proof(purpose, nonce, signed)}

        self.assert_refused(prover, "signature")

    def test_an_unsigned_answer_with_its_reason(self) -> None:
        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            return {**sent, "proof": None, "unproven": {"reason": "key-unavailable", "message": "the key does not open"}}

        client = self.serve(runtime_handler(self.license, prover))
        err = self.refused(lambda: client.check("reports"), "missing")
        self.assertEqual(err.details["unproven"], "key-unavailable")
        self.assertIn("the key does not open", err.message)

    def test_malformed_proofs(self) -> None:
        for name, change in {
            "not an object": lambda p: "proof",
            "another key kind": lambda p: {**p, "key": "session"},
            "no signed statement": lambda p: {k: v for k, v in p.items() if k != "signed"},
            "signature not base64url": lambda p: {**p, "signature": p["signature"] + "="},
        }.items():
            with self.subTest(name):
                client = self.serve(
                    runtime_handler(
                        self.license,
                        lambda lic, purpose, nonce, sent, signed, change=change: {
                            **sent, "proof": change(lic.proof(purpose, nonce, signed))
                        },
                    )
                )
                self.refused(lambda: client.check("reports"), "malformed")

    def test_a_statement_that_is_not_an_answer(self) -> None:
        def prover(lic: License, purpose: str, nonce: str, sent: Dict[str, Any], signed: Dict[str, Any]) -> Any:
            from lictor_runtime.encoding import b64url_encode
            from lictor_runtime.proof import answer_signing_bytes

            text = '{"container":"' + lic.doc["containerId"] + '","nonce":"' + nonce + '","purpose":"' + purpose + '"}'
            signature = b64url_encode(lic.container.sign(answer_signing_bytes(text)))
            return {**sent, "proof": {"license": lic.text, "key": "container", "signature": signature, "signed": text}}

        self.assert_refused(prover, "malformed")


class NotARuntime(FakeRuntimeCase):
    def test_another_program_on_the_port(self) -> None:
        client = self.serve(lambda method, path, headers, body: (404, "<html>Not Found</html>"))
        err = self.refused(client.status, "", "LICTOR_E_RUNTIME_UNREACHABLE")
        self.assertIn("not a Lictor Runtime", err.message)
        self.refused(lambda: client.check(), "", "LICTOR_E_RUNTIME_UNREACHABLE")

    def test_an_error_answer_with_a_made_up_code(self) -> None:
        client = self.serve(lambda method, path, headers, body: (403, {"code": "Denied", "message": "no"}))
        self.refused(lambda: client.check(), "", "LICTOR_E_RUNTIME_UNREACHABLE")

    def test_a_success_status_the_route_does_not_answer(self) -> None:
        client = self.serve(lambda method, path, headers, body: (202, {}))
        self.refused(lambda: client.check(), "", "LICTOR_E_RUNTIME_UNREACHABLE")

    def test_a_granting_answer_that_is_not_an_object(self) -> None:
        client = self.serve(lambda method, path, headers, body: (200, ["granted"]))
        self.refused(lambda: client.check(), "malformed")


class Transports(unittest.TestCase):
    def setUp(self) -> None:
        self.vendor = Vendor()
        self.license = License(self.vendor)
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def test_over_the_unix_socket(self) -> None:
        path = os.path.join(self.dir.name, "rt.sock")
        fake = FakeRuntime(runtime_handler(self.license), unix_path=path)
        self.addCleanup(fake.close)
        with Client(self.vendor.public_key, "ERP", socket_path=path, clock=lambda: NOW) as client:
            self.assertEqual(client.check("reports").serial, self.license.doc["serial"])
            self.assertEqual(client.status()["runtime"]["id"], "rt")
        self.assertEqual(fake.requests[0].headers["host"], "localhost")
        self.assertNotIn("origin", fake.requests[0].headers)

    def test_the_environment_names_the_runtime(self) -> None:
        path = os.path.join(self.dir.name, "env.sock")
        fake = FakeRuntime(runtime_handler(self.license), unix_path=path)
        self.addCleanup(fake.close)
        saved = {k: os.environ.get(k) for k in ("LICTOR_RUNTIME_SOCKET", "LICTOR_RUNTIME_URL")}
        self.addCleanup(lambda: [os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v) for k, v in saved.items()])
        os.environ["LICTOR_RUNTIME_SOCKET"] = path
        os.environ.pop("LICTOR_RUNTIME_URL", None)
        with Client(self.vendor.public_key, "ERP", clock=lambda: NOW) as client:
            client.check()
        self.assertEqual(len(fake.requests), 1)

    def test_a_missing_socket_falls_back_to_the_url(self) -> None:
        fake = FakeRuntime(runtime_handler(self.license))
        self.addCleanup(fake.close)
        missing = os.path.join(self.dir.name, "none.sock")
        with Client(self.vendor.public_key, "ERP", socket_path=missing, url=fake.url, clock=lambda: NOW) as client:
            client.check()
        self.assertEqual(len(fake.requests), 1)

    def test_nothing_answering_is_unreachable(self) -> None:
        missing = os.path.join(self.dir.name, "none.sock")
        with Client(self.vendor.public_key, "ERP", socket_path=missing, url="http://127.0.0.1:9") as client:
            with self.assertRaises(LictorError) as caught:
                client.check()
        self.assertEqual(caught.exception.code, "LICTOR_E_RUNTIME_UNREACHABLE")
        self.assertEqual(caught.exception.details["tried"], [f"unix:{missing}", "http://127.0.0.1:9"])

    def test_only_loopback_urls(self) -> None:
        for url in ("http://192.0.2.1:8791", "https://127.0.0.1:8791", "http://example.com:8791", "ftp://[::1]:1"):
            with self.subTest(url):
                with self.assertRaises(LictorError) as caught:
                    Client(self.vendor.public_key, "ERP", url=url)
                self.assertEqual(caught.exception.code, "LICTOR_E_INVALID_INPUT")

    def test_an_invalid_vendor_key_is_refused_at_once(self) -> None:
        with self.assertRaises(LictorError) as caught:
            Client("lictor-ed25519:short", "ERP", url="http://127.0.0.1:9")
        self.assertEqual(caught.exception.code, "LICTOR_E_PUBLIC_KEY_INVALID")

    def test_a_connection_the_runtime_closed_while_idle_is_opened_again(self) -> None:
        fake = FakeRuntime(runtime_handler(self.license))
        self.addCleanup(fake.close)
        with Client(self.vendor.public_key, "ERP", url=fake.url, clock=lambda: NOW) as client:
            client.check()
            assert client.transport._conn is not None and client.transport._conn.sock is not None
            client.transport._conn.sock.shutdown(2)  # as if the server had closed it
            client.check()
        self.assertEqual(len(fake.requests), 2)


if __name__ == "__main__":
    unittest.main()


class Events(FakeRuntimeCase):
    def test_server_sent_events_are_read_one_by_one(self) -> None:
        stream = (
            ": keep-alive\n\n"
            'id: r1-1\nevent: license-change\ndata: {"kind":"license-change","at":"2026-05-28T00:00:00.000Z",\n'
            'data: "product":"ERP","added":["/l/ERP.lic"]}\n\n'
            'id: r1-2\nevent: session-freed\ndata: {"kind":"session-freed","sessionId":"s-1","pid":42}\n\n'
        )
        client = self.serve(lambda method, path, headers, body: (200, stream, "text/event-stream"))
        with client.events(product="ERP", last_event_id="r0-9") as events:
            first = next(events)
            self.assertEqual((first.id, first.kind), ("r1-1", "license-change"))
            self.assertEqual(first.data["added"], ["/l/ERP.lic"])
            second = next(events)
            self.assertEqual((second.kind, second.data["pid"]), ("session-freed", 42))
            self.assertEqual(events.last_event_id, "r1-2")
            self.assertEqual(list(events), [])
        request = self.fake.requests[0]
        self.assertEqual(request.path, "/v1/events?product=ERP")
        self.assertEqual(request.headers["last-event-id"], "r0-9")
        self.assertNotIn("origin", request.headers)

    def test_a_refused_stream_is_the_runtime_s_error(self) -> None:
        client = self.serve(
            lambda method, path, headers, body: (403, {"code": "LICTOR_E_NOT_LOCAL", "message": "a web page"})
        )
        self.refused(lambda: client.events(), "", "LICTOR_E_NOT_LOCAL")
