"""spec/vectors/signed-answer.json: the statement and bytes a container key signs, the runtime's
answers a client accepts (with the answer it takes from them) and refuses (with the reason), the
session MAC of the License Manager's heartbeats, the runtime's answers within a session (accepted
and refused), and nonces."""

from __future__ import annotations

import hashlib
import hmac
import unittest

import support  # noqa: F401  (puts the package on the path)
from support import vectors

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lictor_runtime import LictorError, VendorKey
from lictor_runtime.canonical import canonical_json
from lictor_runtime.encoding import b64url_decode, b64url_encode
from lictor_runtime.license import open_license
from lictor_runtime.proof import ANSWER_PROOF_DOMAIN, AnswerVerifier, answer_signing_bytes, is_answer_nonce
from lictor_runtime.answer_session import SESSION_CONTEXT, AnswerSession, answer_session_id, seal_answer_session
from support import open_sealed

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

class SignedAnswerVectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.v = vectors("signed-answer")
        cls.key = VendorKey.parse(cls.v["vendorKey"]["publicKey"])
        cls.container = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(cls.v["container"]["signSeedHex"]))

    def verifier(self, now_ms: int) -> AnswerVerifier:
        return AnswerVerifier(self.key, clock=lambda: now_ms / 1000)

    def test_the_domain_and_the_license(self) -> None:
        self.assertEqual(self.v["domain"], ANSWER_PROOF_DOMAIN)
        doc = open_license(self.v["license"]["text"], self.key)
        self.assertEqual(doc["containerId"], self.v["license"]["containerId"])
        self.assertEqual(doc["containerKeys"], self.v["container"]["public"])

    def test_signatures(self) -> None:
        self.assertTrue(self.v["signatures"])
        for case in self.v["signatures"]:
            with self.subTest(case["name"]):
                i, out = case["input"], case["output"]
                statement = canonical_json(
                    {"answer": i["answer"], "container": i["container"], "nonce": i["nonce"], "purpose": i["purpose"]}
                )
                self.assertEqual(statement, out["statement"])
                signing = answer_signing_bytes(statement)
                self.assertEqual(signing.hex(), out["signingBytesHex"])
                self.assertEqual(self.container.sign(signing).hex(), out["signatureHex"])
                self.assertEqual(out["proof"]["signature"], b64url_encode(bytes.fromhex(out["signatureHex"])))

    def test_accepted(self) -> None:
        self.assertTrue(self.v["accepted"])
        for case in self.v["accepted"]:
            with self.subTest(case["name"]):
                answer, doc = self.verifier(case["nowMs"]).verify(
                    case["response"], case["purpose"], case["nonce"], case["product"], case["feature"]
                )
                self.assertEqual(answer, case["answer"])
                self.assertEqual(doc["containerId"], self.v["license"]["containerId"])

    def test_negative(self) -> None:
        self.assertTrue(self.v["negative"])
        for case in self.v["negative"]:
            with self.subTest(case["name"]):
                with self.assertRaises(LictorError) as caught:
                    self.verifier(case["nowMs"]).verify(
                        case["response"], case["purpose"], case["nonce"], case["product"], case["feature"]
                    )
                self.assertEqual(caught.exception.code, case["error"], caught.exception.message)
                self.assertEqual(caught.exception.reason, case["reason"], caught.exception.message)

    def test_session_mac(self) -> None:
        # What the License Manager's clients check for heartbeats (this client leaves it to the runtime).
        s = self.v["session"]
        self.assertEqual(b64url_encode(hashlib.sha256(s["sealed"].encode()).digest()[:16]), s["id"])
        self.assertEqual(s["header"], f"{s['id']}.{s['sealed']}")
        m = s["mac"]
        self.assertEqual(
            m["macInput"],
            f"{ANSWER_PROOF_DOMAIN}\0"
            + canonical_json(
                {"answer": m["answer"], "container": self.v["license"]["containerId"], "nonce": m["nonce"], "purpose": m["purpose"]}
            ),
        )
        mac = hmac.new(bytes.fromhex(s["secretHex"]), m["macInput"].encode(), hashlib.sha256).digest()
        self.assertEqual(mac.hex(), m["macHex"])
        self.assertEqual(m["proof"], {"key": "session", "mac": b64url_encode(mac)})

    def test_session_sealing(self) -> None:
        # The sealed secret with the vectors' ephemeral scalar and iv; its id and header; it opens
        # with the container's X25519 private scalar.
        s = self.v["session"]
        doc = open_license(self.v["license"]["text"], self.key)
        secret = bytes.fromhex(s["secretHex"])
        self.assertEqual(s["context"], SESSION_CONTEXT)
        sealed = seal_answer_session(doc, secret, ephemeral=bytes.fromhex(s["ephemeralScalarHex"]), iv=bytes.fromhex(s["ivHex"]))
        self.assertEqual(sealed, s["sealed"])
        self.assertEqual(answer_session_id(sealed), s["id"])
        session = AnswerSession(secret, doc, sealed=sealed)
        self.assertEqual(session.header(), s["header"])
        session.confirmed = True
        self.assertEqual(session.header(), s["id"])
        box = X25519PrivateKey.from_private_bytes(bytes.fromhex(self.v["container"]["boxScalarHex"]))
        self.assertEqual(open_sealed(box, sealed, SESSION_CONTEXT), secret)
        # A fresh sealing of the same secret differs (a fresh key pair and iv) and opens the same.
        fresh = AnswerSession(secret, doc)
        self.assertNotEqual(fresh.sealed, sealed)
        self.assertEqual(len(fresh.sealed), 123)
        self.assertEqual(len(fresh.id), 22)
        self.assertEqual(open_sealed(box, fresh.sealed, SESSION_CONTEXT), secret)
        self.assertIsNone(open_sealed(box, fresh.sealed, "upgrade-confirm"))

    def runtime_session(self) -> AnswerSession:
        r = self.v["runtimeSession"]
        self.assertEqual(r["secretHex"], self.v["session"]["secretHex"])
        self.assertEqual(r["header"], self.v["session"]["header"])
        doc = open_license(self.v["license"]["text"], self.key)
        return AnswerSession(bytes.fromhex(r["secretHex"]), doc, sealed=self.v["session"]["sealed"])

    def test_runtime_session_accepted(self) -> None:
        session = self.runtime_session()
        self.assertEqual(session.header(), self.v["runtimeSession"]["header"])
        self.assertTrue(self.v["runtimeSession"]["accepted"])
        for case in self.v["runtimeSession"]["accepted"]:
            with self.subTest(case["name"]):
                proof = case["response"]["proof"]
                self.assertEqual(list(proof), ["key", "mac", "signed"])
                self.assertEqual(case["macInput"], f"{ANSWER_PROOF_DOMAIN}\0{proof['signed']}")
                self.assertEqual(session.mac(case["macInput"].encode()).hex(), case["macHex"])
                answer, doc, key = self.verifier(case["nowMs"]).verify_answer(
                    case["response"], case["purpose"], case["nonce"], case["product"], case["feature"], session
                )
                self.assertEqual(answer, case["answer"])
                self.assertEqual((doc["containerId"], key), (self.v["license"]["containerId"], "session"))
                # Without the session the same answer is refused: the request named none.
                with self.assertRaises(LictorError) as caught:
                    self.verifier(case["nowMs"]).verify(
                        case["response"], case["purpose"], case["nonce"], case["product"], case["feature"]
                    )
                self.assertEqual(caught.exception.reason, "signature")

    def test_runtime_session_negative(self) -> None:
        session = self.runtime_session()
        self.assertTrue(self.v["runtimeSession"]["negative"])
        for case in self.v["runtimeSession"]["negative"]:
            with self.subTest(case["name"]):
                with self.assertRaises(LictorError) as caught:
                    self.verifier(case["nowMs"]).verify_answer(
                        case["response"], case["purpose"], case["nonce"], case["product"], case["feature"],
                        session if case["sessionNamed"] else None,
                    )
                self.assertEqual(caught.exception.code, case["error"], caught.exception.message)
                self.assertEqual(caught.exception.reason, case["reason"], caught.exception.message)

    def test_signed_answers_are_verified_as_always_within_a_session(self) -> None:
        session = self.runtime_session()
        for case in self.v["accepted"]:
            with self.subTest(case["name"]):
                answer, _, key = self.verifier(case["nowMs"]).verify_answer(
                    case["response"], case["purpose"], case["nonce"], case["product"], case["feature"], session
                )
                self.assertEqual((answer, key), (case["answer"], "container"))

    def test_nonces(self) -> None:
        for case in self.v["nonces"]:
            with self.subTest(case["name"]):
                self.assertEqual(is_answer_nonce(case["nonce"]), case["valid"])
                if case["valid"]:
                    self.assertIsNotNone(b64url_decode(case["nonce"]))


if __name__ == "__main__":
    unittest.main()
