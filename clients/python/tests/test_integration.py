"""Against a real ``lictor runtime serve``: run by packages/runtime/test/client-python.slow.test.ts,
which starts a License Center, a License Manager and the runtime, activates licenses and gives
their whereabouts in the environment (the same ``LICTOR_TEST_*`` variables as the C and Java
clients' integration tests). Skipped when ``LICTOR_TEST_PUBLIC_KEY`` is not set.

- ``LICTOR_TEST_RUNTIME_SOCKET``, ``LICTOR_TEST_RUNTIME_URL``: the runtime's socket and loopback address;
- ``LICTOR_TEST_PUBLIC_KEY``: the vendor key; ``LICTOR_TEST_PRODUCT``, ``LICTOR_TEST_FEATURE``: licensed;
  ``LICTOR_TEST_OTHER_FEATURE``: a feature of the product the license does not hold;
- ``LICTOR_TEST_SERIAL``: the serial of the license the runtime activated;
- ``LICTOR_TEST_OTHER_PUBLIC_KEY``: another vendor's key.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unittest

import support  # noqa: F401  (puts the package on the path)

from lictor_runtime import Client, LictorError, open_license

ENV = os.environ
ENABLED = bool(ENV.get("LICTOR_TEST_PUBLIC_KEY"))


@unittest.skipUnless(ENABLED, "needs a real runtime: run packages/runtime/test/client-python.slow.test.ts")
class RealRuntime(unittest.TestCase):
    def setUp(self) -> None:
        self.product = ENV["LICTOR_TEST_PRODUCT"]
        self.feature = ENV["LICTOR_TEST_FEATURE"]
        self.socket = Client(ENV["LICTOR_TEST_PUBLIC_KEY"], self.product, socket_path=ENV["LICTOR_TEST_RUNTIME_SOCKET"])
        self.tcp = Client(ENV["LICTOR_TEST_PUBLIC_KEY"], self.product, url=ENV["LICTOR_TEST_RUNTIME_URL"])
        self.addCleanup(self.socket.close)
        self.addCleanup(self.tcp.close)

    def test_check_over_the_socket_and_over_loopback_http(self) -> None:
        for client in (self.socket, self.tcp):
            with self.subTest(str(client.transport.targets[0])):
                grant = client.check(self.feature)
                self.assertEqual((grant.product, grant.feature, grant.serial), (self.product, self.feature, ENV["LICTOR_TEST_SERIAL"]))
                # The proof's license is the vendor's and is what the runtime serves from.
                self.assertEqual(grant.license["serial"], ENV["LICTOR_TEST_SERIAL"])
                self.assertIn("containerKeys", grant.license)
                with open(grant.file, encoding="utf-8") as f:
                    self.assertEqual(open_license(f.read(), client.key)["containerId"], grant.license["containerId"])
                self.assertEqual(client.check().feature, None)

    def test_answers_come_macd_within_an_answer_session(self) -> None:
        # A client of its own: its first answer of the license is signed, and the one that opens
        # the session at the runtime (its sealed secret opened there) too; the next ones MAC'd.
        for where in ({"socket_path": ENV["LICTOR_TEST_RUNTIME_SOCKET"]}, {"url": ENV["LICTOR_TEST_RUNTIME_URL"]}):
            with self.subTest(str(where)), Client(ENV["LICTOR_TEST_PUBLIC_KEY"], self.product, **where) as client:
                first = client.check(self.feature)
                opening = client.check(self.feature)
                third = client.check(self.feature)
                fourth = client.check(self.feature)
                self.assertEqual(
                    [g.proof_key for g in (first, opening, third, fourth)],
                    ["container", "container", "session", "session"],
                )
                self.assertEqual(third.answer, first.answer)
                self.assertEqual(third.license["containerId"], first.license["containerId"])
                session = client.open_session(self.feature)
                self.assertEqual((session.proof_key, session.serial), ("session", ENV["LICTOR_TEST_SERIAL"]))
                session.close()
        # Signatures only when asked.
        with Client(ENV["LICTOR_TEST_PUBLIC_KEY"], self.product, url=ENV["LICTOR_TEST_RUNTIME_URL"], proof="signature") as client:
            self.assertEqual([client.check(self.feature).proof_key for _ in range(2)], ["container", "container"])

    def test_refusals_carry_the_runtime_s_codes(self) -> None:
        with self.assertRaises(LictorError) as caught:
            self.socket.check(ENV["LICTOR_TEST_OTHER_FEATURE"])
        self.assertEqual(caught.exception.code, "LICTOR_E_FEATURE_NOT_LICENSED")
        self.assertEqual(caught.exception.status, 403)
        with Client(ENV["LICTOR_TEST_OTHER_PUBLIC_KEY"], self.product, url=ENV["LICTOR_TEST_RUNTIME_URL"]) as other:
            with self.assertRaises(LictorError) as caught:
                other.check(self.feature)
        self.assertEqual(caught.exception.code, "LICTOR_E_NOT_LICENSED")

    def test_sessions_open_and_close(self) -> None:
        session = self.socket.open_session(self.feature)
        self.assertEqual(session.pid, os.getpid())
        self.assertEqual(session.serial, ENV["LICTOR_TEST_SERIAL"])
        status = self.tcp.status()
        self.assertGreaterEqual(status["sessions"]["count"], 1)
        session.close()
        with self.assertRaises(LictorError) as caught:
            self.socket.close_session(session.id)
        self.assertEqual(caught.exception.code, "LICTOR_E_SESSION_UNKNOWN")

    def test_a_seat_is_taken_and_given_back(self) -> None:
        with self.tcp.take_seat(self.feature) as seat:
            self.assertEqual((seat.product, seat.feature, seat.state), (self.product, self.feature, "active"))
            self.assertEqual(seat.answer["lease"]["id"], seat.lease_id)
            self.assertEqual(seat.pid, os.getpid())
        with self.assertRaises(LictorError) as caught:
            self.tcp.release_seat(seat.id)
        self.assertEqual(caught.exception.code, "LICTOR_E_LEASE_UNKNOWN")

    def test_a_crashed_process_s_session_is_freed_and_told(self) -> None:
        with self.socket.events(timeout=60) as events:
            # Another process opens a session and dies without closing it.
            child = subprocess.run(
                [sys.executable, "-c", _CRASHING_CHILD],
                env={**ENV, "PYTHONPATH": str(support.HERE.parent)},
                capture_output=True,
                text=True,
                timeout=60,
            )
            self.assertEqual(child.returncode, 3, child.stderr)
            session_id, pid = child.stdout.split()
            deadline = time.monotonic() + 60
            for event in events:
                if event.kind == "session-freed" and event.data.get("sessionId") == session_id:
                    self.assertEqual(event.data.get("pid"), int(pid))
                    break
                self.assertLess(time.monotonic(), deadline, "no session-freed event")


_CRASHING_CHILD = """
import os
from lictor_runtime import Client
env = os.environ
client = Client(env["LICTOR_TEST_PUBLIC_KEY"], env["LICTOR_TEST_PRODUCT"], socket_path=env["LICTOR_TEST_RUNTIME_SOCKET"])
session = client.open_session(env["LICTOR_TEST_FEATURE"])
print(session.id, session.pid, flush=True)
os._exit(3)
"""


if __name__ == "__main__":
    unittest.main()
