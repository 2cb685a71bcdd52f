"""spec/vectors/signed-answer.json: the statement and bytes a container key signs, the runtime's
answers a client accepts (with the answer it takes from them) and refuses (with the reason), the
session MAC of the License Manager's heartbeats, and nonces."""

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

    def test_nonces(self) -> None:
        for case in self.v["nonces"]:
            with self.subTest(case["name"]):
                self.assertEqual(is_answer_nonce(case["nonce"]), case["valid"])
                if case["valid"]:
                    self.assertIsNotNone(b64url_decode(case["nonce"]))


if __name__ == "__main__":
    unittest.main()
