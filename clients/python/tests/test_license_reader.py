"""What the vectors do not pin down but a reader must do as the reference does: instants as
JavaScript's Date.parse reads them, JavaScript's white space and string lengths, unknown members
dropped from the document (and not signed), expiry judged by the caller's clock."""

from __future__ import annotations

import unittest

import support  # noqa: F401  (puts the package on the path)
from support import License, Vendor

from lictor_runtime import LictorError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lictor_runtime.canonical import canonical_bytes, canonical_json, loads
from lictor_runtime.encoding import b64url_decode, js_clean, js_length
from lictor_runtime.license import (
    armor,
    hkdf_sha256,
    instant_ms,
    license_covers,
    license_signing_bytes,
    open_license,
    parse_license_document,
    seal_license,
)


class Instants(unittest.TestCase):
    def test_as_date_parse_reads_them(self) -> None:
        # Epoch milliseconds that Node 22's Date.parse gives (NaN: None).
        cases = {
            "2026-02-30T00:00:00Z": 1772409600000,  # rolls over to 2 March
            "2026-02-31T00:00:00Z": 1772496000000,
            "2026-04-31T00:00:00Z": 1777593600000,
            "2025-02-29T00:00:00Z": 1740787200000,
            "2026-01-01T24:00:00Z": 1767312000000,  # hour 24: the next midnight
            "0000-01-01T00:00:00Z": -62167219200000,
            "9999-12-31T23:59:59.9Z": 253402300799900,
            "2026-01-01T00:00:00.12Z": 1767225600120,
            "2026-02-32T00:00:00Z": None,
            "2026-00-10T00:00:00Z": None,
            "2026-13-10T00:00:00Z": None,
            "2026-01-00T00:00:00Z": None,
            "2026-01-01T24:00:01Z": None,
            "2026-01-01T24:00:00.001Z": None,
            "2026-01-01T25:00:00Z": None,
            "2026-01-01T23:60:00Z": None,
            "2026-01-01T23:59:60Z": None,
            "2026-01-01T00:00:00.0000Z": None,  # not the pattern
            "2026-01-01T00:00:00Z\n": None,
            "2026-01-01T00:00:00+00:00": None,
            "٢٠٢٦-01-01T00:00:00Z": None,  # digits other than ASCII
        }
        for text, ms in cases.items():
            with self.subTest(text):
                self.assertEqual(instant_ms(text), ms)


class JavaScriptText(unittest.TestCase):
    def test_white_space_is_javascript_s(self) -> None:
        self.assertEqual(js_clean("\ufeff a\u00a0\u2028b\t"), "a b")
        self.assertEqual(js_clean("\x1ca\x85"), "\x1ca\x85")  # Python's \\s, not JavaScript's

    def test_lengths_count_utf16_code_units(self) -> None:
        self.assertEqual(js_length("😀"), 2)
        self.assertEqual(js_length("é"), 1)

    def test_base64url_is_strict(self) -> None:
        self.assertEqual(b64url_decode("AQ"), b"\x01")
        for text in ("AR", "AQ=", "A", "A+", "A/"):
            with self.subTest(text):
                self.assertIsNone(b64url_decode(text))

    def test_numbers_as_json_parse_reads_them(self) -> None:
        self.assertEqual(loads("[1.0, 1e3, -0, 2.5]"), [1, 1000, 0, 2.5])
        self.assertIsInstance(loads("9007199254740993"), float)
        with self.assertRaises(ValueError):
            loads("NaN")
        self.assertEqual(canonical_json(loads('{"a":1,"a":2}')), '{"a":2}')


class Documents(unittest.TestCase):
    vendor = Vendor()

    def test_unknown_members_are_dropped_and_not_signed(self) -> None:
        lic = License(self.vendor)
        # A member added to the payload after the vendor signed it: the file still opens.
        key, salt, iv = self.vendor.key, bytes(16), bytes(12)
        header = b"LCTR\x01\x01" + key.key_id + salt + iv
        signature = self.vendor.private.sign(license_signing_bytes(lic.doc, key))
        payload = canonical_bytes(dict(lic.doc, comment="added after signing"))
        sealed = AESGCM(hkdf_sha256(key.raw, salt, "lictor/v1/license", 32)).encrypt(iv, signature + payload, header)
        opened = open_license(armor("license", header + sealed), key)
        self.assertNotIn("comment", opened)
        self.assertEqual(opened, lic.doc)
        # Signed with the member, it is not what a reader verifies.
        with self.assertRaises(LictorError) as caught:
            open_license(seal_license(dict(lic.doc, comment="signed"), self.vendor.private), key)
        self.assertEqual(caught.exception.code, "LICTOR_E_SIGNATURE_INVALID")

    def test_a_member_of_the_wrong_type_is_a_format_error(self) -> None:
        for change in (
            {"pin": 0},
            {"pin": True},
            {"counter": 1.5},
            {"serial": "x" * 65},
            {"owner": {"company": 1}},
            {"licenses": []},
            {"requestNonce": None},
            {"policy": "forever"},
        ):
            with self.subTest(change):
                with self.assertRaises(LictorError) as caught:
                    parse_license_document({**License(self.vendor).doc, **change})
                self.assertEqual(caught.exception.code, "LICTOR_E_FILE_FORMAT")
        entry = License(self.vendor).doc["licenses"][0]
        for missing in ("arch", "sessions", "expiresAt"):
            with self.subTest(missing=missing):
                doc = {**License(self.vendor).doc, "licenses": [{k: v for k, v in entry.items() if k != missing}]}
                with self.assertRaises(LictorError):
                    parse_license_document(doc)

    def test_expiry_by_the_caller_s_clock(self) -> None:
        doc = License(self.vendor, expires_at="2026-06-01T00:00:00.000Z").doc
        june = instant_ms("2026-06-01T00:00:00Z")
        assert june is not None
        self.assertTrue(license_covers(doc, "ERP", "reports", june - 1))
        self.assertFalse(license_covers(doc, "ERP", "reports", june))
        self.assertFalse(license_covers(doc, "ERP", "payroll", 0))
        self.assertFalse(license_covers(doc, "CAD", None, 0))
        self.assertTrue(license_covers(License(self.vendor).doc, "ERP", None, 2**52))


if __name__ == "__main__":
    unittest.main()
