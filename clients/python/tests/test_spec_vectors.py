"""The specification's test vectors (spec/vectors), byte for byte: canonical JSON, vendor keys,
hardware normalization and license files (every step of both subject digest formats, the
tolerant armor, and every negative case with its code)."""

from __future__ import annotations

import hashlib
import json
import unittest

import support  # noqa: F401  (puts the package on the path)
from support import vectors

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from lictor_runtime import LictorError
from lictor_runtime.encoding import b64url_encode
from lictor_runtime.canonical import NotCanonical, canonical_bytes, canonical_json, loads
from lictor_runtime.license import (
    VendorKey,
    hkdf_sha256,
    license_signed_view,
    license_signing_bytes,
    normalize_hardware,
    open_license,
    open_license_with_view,
    seal_license,
    subject_digest,
    subject_private_digest,
)


def sha256(label: str, text: str) -> bytes:
    return hashlib.sha256(label.encode() + b"\0" + text.encode()).digest()


class CanonicalJsonVectors(unittest.TestCase):
    v = vectors("canonical-json")

    def test_cases(self) -> None:
        for case in self.v["cases"]:
            with self.subTest(case["name"]):
                value = loads(case["input"])
                self.assertEqual(canonical_json(value), case["canonical"])
                self.assertEqual(canonical_bytes(value).hex(), case["utf8Hex"])

    def test_negative(self) -> None:
        self.assertTrue(self.v["negative"])
        for case in self.v["negative"]:
            with self.subTest(case["name"]):
                self.assertEqual(case["error"], "not-canonical")
                with self.assertRaises(NotCanonical):
                    canonical_json(loads(case["input"]))


class VendorKeyVectors(unittest.TestCase):
    v = vectors("vendor-key")

    def test_keys(self) -> None:
        for case in self.v["keys"]:
            with self.subTest(case["name"]):
                private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(case["seedHex"]))
                pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
                self.assertEqual(pem, case["privateKeyPem"])
                key = VendorKey.parse(case["text"])
                self.assertEqual(key.raw.hex(), case["publicKeyHex"])
                self.assertEqual(key.key_id.hex(), case["keyIdHex"])
                self.assertEqual(key.text, case["text"])
                self.assertEqual(VendorKey.parse(f"  {case['text']}\n"), key)
                message = bytes.fromhex(case["signature"]["messageHex"])
                signature = bytes.fromhex(case["signature"]["signatureHex"])
                self.assertEqual(private.sign(message).hex(), case["signature"]["signatureHex"])
                self.assertTrue(key.verify(message, signature))
                self.assertFalse(key.verify(message + b"!", signature))

    def test_negative(self) -> None:
        self.assertTrue(self.v["negative"])
        for case in self.v["negative"]:
            with self.subTest(case["name"]):
                with self.assertRaises(LictorError) as caught:
                    VendorKey.parse(case["text"])
                self.assertEqual(caught.exception.code, case["error"])


class HardwareVectors(unittest.TestCase):
    def test_normalization(self) -> None:
        for case in vectors("hardware")["cases"]:
            with self.subTest(case["name"]):
                self.assertEqual(
                    canonical_json(normalize_hardware(case["hardware"])), canonical_json(case["normalized"])
                )


class LicenseFileVectors(unittest.TestCase):
    v = vectors("license-file")
    signer = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["vendorKey"]["seedHex"]))
    key = VendorKey.parse(v["vendorKey"]["publicKey"])

    def test_every_step_of_every_case(self) -> None:
        self.assertEqual(len(self.v["cases"]), 5)
        for case in self.v["cases"]:
            with self.subTest(case["name"]):
                doc, out = case["input"]["document"], case["output"]
                salt, iv = bytes.fromhex(case["input"]["saltHex"]), bytes.fromhex(case["input"]["ivHex"])
                fmt = out["subjectFormat"]
                # The subject digest, step by step.
                if fmt == 2:
                    self.assertEqual(subject_private_digest(doc), out["subjectPrivate"])
                    self.assertEqual(canonical_json(json.loads(out["subjectPrivateJson"])), out["subjectPrivateJson"])
                    self.assertEqual(
                        b64url_encode(sha256("lictor/v2/subject-private", out["subjectPrivateJson"])),
                        out["subjectPrivate"],
                    )
                    label = "lictor/v2/subject"
                elif doc["binding"]["kind"] == "hardware":
                    label = "lictor/v1/subject"
                else:
                    label = "lictor/v1/token-subject"
                self.assertEqual(canonical_json(json.loads(out["subjectJson"])), out["subjectJson"])
                self.assertEqual(b64url_encode(sha256(label, out["subjectJson"])[:10]), out["subject"])
                self.assertEqual(subject_digest(doc, fmt), out["subject"])
                # The signed view, the signed bytes, the signature.
                view = license_signed_view(doc, out["subject"])
                self.assertEqual(canonical_json(view), out["signedView"])
                signing = license_signing_bytes(doc, self.key, out["subject"])
                self.assertEqual(signing.hex(), out["signingBytesHex"])
                self.assertEqual(self.signer.sign(signing).hex(), out["signatureHex"])
                # The envelope: payload, key, header, and the whole file written again.
                self.assertEqual(canonical_json(doc), out["payload"])
                self.assertEqual(hkdf_sha256(self.key.raw, salt, "lictor/v1/license", 32).hex(), out["aesKeyHex"])
                self.assertEqual(
                    (b"LCTR" + bytes([1, 1]) + self.key.key_id + salt + iv).hex(), out["headerHex"]
                )
                self.assertEqual(seal_license(doc, self.signer, salt, iv, subject_format=fmt), out["text"])
                # And read back: the document, through the view of the format it was signed over.
                opened, opened_view, opened_format = open_license_with_view(out["text"], self.key)
                self.assertEqual(opened, doc)
                self.assertEqual(canonical_json(opened_view), out["signedView"])
                self.assertEqual(opened_format, fmt)

    def test_tolerant_armor(self) -> None:
        self.assertTrue(self.v["tolerant"])
        for case in self.v["tolerant"]:
            with self.subTest(case["name"]):
                self.assertEqual(open_license(case["text"], self.key), case["document"])

    def test_negative(self) -> None:
        self.assertTrue(self.v["negative"])
        for case in self.v["negative"]:
            with self.subTest(case["name"]):
                with self.assertRaises(LictorError) as caught:
                    open_license(case["text"], VendorKey.parse(case["publicKey"]))
                self.assertEqual(caught.exception.code, case["error"], caught.exception.message)


if __name__ == "__main__":
    unittest.main()
