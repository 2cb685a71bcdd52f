"""The client of the Lictor Runtime (``docs/runtime.md``): status, checks, sessions, floating seats
and change events, every grant verified (:mod:`lictor_runtime.proof`)."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import quote, urlencode

from .answer_session import ANSWER_SESSION_HEADER, AnswerSession
from .errors import LictorError
from .license import VendorKey
from .proof import AnswerVerifier, new_nonce, unproven
from .transport import Response, Target, Transport, default_targets, not_runtime

__all__ = ["Client", "Grant", "Session", "Seat", "Event", "EventStream", "PURPOSES"]

#: The signed-answer purpose of each granting request. A seat is signed by the License Manager
#: that holds its license (the runtime forwards the nonce and the manager's proof): ``lease``.
PURPOSES = {"check": "runtime-check", "session": "runtime-session", "seat": "lease"}

_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_OWN_PID = object()
_ABSENT = object()


def _error_from(res: Response) -> LictorError:
    """The runtime's error answer ``{ code, message, details? }`` as a :class:`LictorError`."""
    body = res.json
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    details = body.get("details") if isinstance(body, dict) else None
    if (
        not isinstance(code, str)
        or not code.startswith("LICTOR_E_")
        or len(code) > 64
        or not set(code[9:]) <= _CODE_CHARS
        or not isinstance(message, str)
        or (details is not None and not isinstance(details, dict))
    ):
        return not_runtime(res.target, f"HTTP {res.status} without a Lictor error answer")
    return LictorError(code, message, details, status=res.status)


def _expect(res: Response, *statuses: int) -> Any:
    """The JSON body of a successful answer; the error answer raised."""
    if res.status >= 400:
        raise _error_from(res)
    if res.status not in statuses:
        raise not_runtime(res.target, f"HTTP {res.status} where {'/'.join(map(str, statuses))} was expected")
    return res.json


def _require(answer: Dict[str, Any], types: Dict[str, Any]) -> None:
    """Refuses an answer without the members the client relies on (``malformed``)."""
    for name, kind in types.items():
        value = answer.get(name, _ABSENT)
        if value is _ABSENT or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise unproven("malformed", f"the runtime's answer has no valid '{name}'")


@dataclass(frozen=True)
class Grant:
    """A verified check: the product (feature) is licensed here. ``answer`` is the signed answer,
    ``license`` the vendor-signed license document that proved it."""

    product: str
    feature: Optional[str]
    serial: str
    license_id: str
    type: str
    users: Optional[int]
    expires_at: Optional[str]
    file: str
    answer: Dict[str, Any] = field(repr=False)
    license: Dict[str, Any] = field(repr=False)
    #: How the answer was proven: ``container`` (signed by the license's container key) or
    #: ``session`` (MAC'd within the client's answer session with that license).
    proof_key: str = "container"


@dataclass
class Session:
    """A verified session of this process on the license file that grants the product
    (feature). Close it with :meth:`close` or use it as a context manager."""

    id: str
    product: str
    feature: Optional[str]
    serial: str
    license_id: str
    license_file: str
    pid: int
    os_session: str
    opened_at: str
    answer: Dict[str, Any] = field(repr=False)
    license: Dict[str, Any] = field(repr=False)
    _client: Optional["Client"] = field(default=None, repr=False, compare=False)
    closed: bool = False
    #: How the answer was proven: ``container`` (signed) or ``session`` (MAC'd), as :attr:`Grant.proof_key`.
    proof_key: str = "container"

    def close(self) -> None:
        """Closes the session (``DELETE /v1/sessions/{id}``); a second call does nothing."""
        if not self.closed and self._client is not None:
            self._client.close_session(self.id)
        self.closed = True

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass
class Seat:
    """A verified floating seat that the runtime holds for the application (it sends the
    heartbeats). Give it back with :meth:`release` or use it as a context manager."""

    id: str
    lease_id: str
    product: str
    feature: Optional[str]
    manager: str
    state: str
    expires_at: str
    heartbeat_interval_ms: Union[int, float]
    pid: Optional[int]
    answer: Dict[str, Any] = field(repr=False)
    license: Dict[str, Any] = field(repr=False)
    _client: Optional["Client"] = field(default=None, repr=False, compare=False)
    released: bool = False

    def release(self) -> None:
        """Gives the seat back (``DELETE /v1/seats/{id}``); a second call does nothing."""
        if not self.released and self._client is not None:
            self._client.release_seat(self.id)
        self.released = True

    def __enter__(self) -> "Seat":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


@dataclass(frozen=True)
class Event:
    """One server-sent event of ``GET /v1/events``: ``kind`` (``license-change``,
    ``session-freed``, ``seat-lost``, ``seat-reattached``, ``reset``), its id and data."""

    id: str
    kind: str
    data: Dict[str, Any]


class EventStream:
    """The runtime's change events, one :class:`Event` per iteration. ``last_event_id`` is the id
    of the last event read: give it to :meth:`Client.events` to resume after a reconnection (the
    runtime answers ``reset`` when it cannot). Close it with :meth:`close` (or ``with``)."""

    def __init__(self, conn: Any, response: Any, target: Target, last_event_id: Optional[str]):
        self._conn = conn
        self._response = response
        self.target = target
        self.last_event_id = last_event_id

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        data: List[str] = []
        kind = "message"
        event_id: Optional[str] = None
        while True:
            try:
                raw = self._response.readline(1024 * 1024)
            except (OSError, ValueError) as err:
                self.close()
                raise LictorError("LICTOR_E_RUNTIME_UNREACHABLE", f"the event stream of {self.target} broke: {err}") from None
            if raw == b"":
                self.close()
                raise StopIteration
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == "":
                if not data:
                    kind, event_id = "message", None
                    continue
                if event_id is not None:
                    self.last_event_id = event_id
                try:
                    payload = json.loads("\n".join(data))
                except ValueError:
                    payload = None
                if not isinstance(payload, dict):
                    raise not_runtime(self.target, "an event whose data is not a JSON object")
                return Event(event_id if event_id is not None else "", kind, payload)
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                kind = value
            elif name == "id":
                event_id = value

    def close(self) -> None:
        """Stops reading and closes the connection."""
        self._conn.close()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Client:
    """A client of the Lictor Runtime for one application: the vendor public key it embeds
    (``lictor-ed25519:…``) and its product; ``role`` (``client``/``server``) and ``bitness``
    (64/32) when not the defaults.

    Where the runtime is: ``socket_path`` and/or ``url``, else ``LICTOR_RUNTIME_SOCKET`` /
    ``LICTOR_RUNTIME_URL``, else the default socket and then ``http://127.0.0.1:8791``.
    ``clock`` (seconds since the epoch) judges the expiry of the licenses that prove answers.

    ``proof``: ``session`` (the default) keeps answer sessions with the runtime: after the first
    verified signed answer of a license to a check or a session open, the client seals a fresh
    32-byte secret to that license's container key and names it (header ``lictor-session``) with
    the next checks and session opens of the same product and feature; the runtime then MACs its
    answers under that secret instead of signing them (``docs/spec/signed-answers.md``, "Sessions
    with the runtime"). ``signature``: every answer signed by the license's container key.
    """

    def __init__(
        self,
        public_key: Union[str, VendorKey],
        product: str,
        *,
        role: Optional[str] = None,
        bitness: Optional[int] = None,
        socket_path: Optional[str] = None,
        url: Optional[str] = None,
        timeout: Optional[float] = 30.0,
        clock: Optional[Callable[[], float]] = None,
        proof: str = "session",
    ):
        if proof not in ("session", "signature"):
            raise LictorError("LICTOR_E_INVALID_INPUT", f"proof is 'session' or 'signature', not {proof!r}")
        self.key = public_key if isinstance(public_key, VendorKey) else VendorKey.parse(public_key)
        self.product = product
        self.role = role
        self.bitness = bitness
        self.transport = Transport(default_targets(socket_path, url), timeout)
        self.verifier = AnswerVerifier(self.key, clock)
        self.proof = proof
        self._sessions_lock = threading.Lock()
        #: Answer sessions by the container id of their license.
        self._by_container: Dict[str, AnswerSession] = {}
        #: The container of the license that last granted each (product, feature).
        self._granting: Dict[Tuple[str, Optional[str]], str] = {}

    # -- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the kept-alive connection (sessions and seats stay open in the runtime)."""
        self.transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _application(self, product: Optional[str]) -> Dict[str, Any]:
        body: Dict[str, Any] = {"publicKey": self.key.text, "product": product or self.product}
        if self.role is not None:
            body["role"] = self.role
        if self.bitness is not None:
            body["bitness"] = self.bitness
        return body

    def _grant(
        self, path: str, purpose: str, body: Dict[str, Any], product: str, feature: Optional[str], status: int
    ) -> Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any], str]:
        """Sends a granting request with a fresh nonce, within answer sessions for checks and
        session opens; the verified (answer, license, outer JSON, proof key). Seats are never asked
        within a session: only the License Manager's signature proves a seat."""
        nonce = new_nonce()
        body["nonce"] = nonce
        asked = (product, feature)
        within = self.proof == "session" and purpose != PURPOSES["seat"]
        session: Optional[AnswerSession] = None
        headers: Dict[str, str] = {}
        if within:
            with self._sessions_lock:
                container = self._granting.get(asked)
                session = None if container is None else self._by_container.get(container)
                if session is not None:
                    headers[ANSWER_SESSION_HEADER] = session.header()
        res = self.transport.request("POST", path, body, headers)
        outer = _expect(res, status)
        if not isinstance(outer, dict):
            raise unproven("malformed", "the answer is not a JSON object")
        answer, doc, key = self.verifier.verify_answer(outer, purpose, nonce, product, feature, session)
        if key == "session":
            assert session is not None
            with self._sessions_lock:
                session.confirmed = True
            return answer, doc, outer, key
        if not within:
            return answer, doc, outer, key
        container_id = doc["containerId"]
        with self._sessions_lock:
            # Signed by the session's license: the runtime does not hold the session (a restart)
            # or its license changed (an upgrade), send the sealed secret again; by another
            # license: a session with that one.
            if session is not None and session.license["containerId"] == container_id:
                session.confirmed = False
            kept = self._by_container.get(container_id)
            if kept is not None:
                # The license just verified replaces the stored one (an upgrade keeps the
                # container and its keys: same secret, id and sealed text), so MAC'd answers are
                # checked against the license the runtime now holds, not an expired one.
                kept.license = doc
            else:
                try:
                    self._by_container[container_id] = AnswerSession.open(doc)
                except LictorError:
                    pass  # a box key one cannot seal to: signed answers, as before
            self._granting[asked] = container_id
        return answer, doc, outer, key

    # -- operations -----------------------------------------------------------------------

    def status(self) -> Dict[str, Any]:
        """``GET /v1/status``: the runtime's id and version, the licenses applications asked
        about, sessions and seats (informative, not signed)."""
        res = self.transport.request("GET", "/v1/status")
        body = _expect(res, 200)
        if not isinstance(body, dict) or not isinstance(body.get("runtime"), dict):
            raise not_runtime(res.target, "a status that is not the runtime's")
        return body

    def check(self, feature: Optional[str] = None, *, product: Optional[str] = None) -> Grant:
        """Is the product (or ``feature`` of it) licensed on this computer? A verified
        :class:`Grant`, or the runtime's refusal as :class:`LictorError` (the SDK's codes)."""
        product = product or self.product
        body = self._application(product)
        if feature is not None:
            body["feature"] = feature
        answer, doc, _, key = self._grant("/v1/check", PURPOSES["check"], body, product, feature, 200)
        _require(answer, {"serial": str, "licenseId": str, "type": str, "file": str})
        if answer["serial"] != doc["serial"]:
            raise unproven("not-covered", "the signed answer names another license than the one that signed it")
        return Grant(
            product=product,
            feature=feature,
            serial=answer["serial"],
            license_id=answer["licenseId"],
            type=answer["type"],
            users=answer.get("users"),
            expires_at=answer.get("expiresAt"),
            file=answer["file"],
            answer=answer,
            license=doc,
            proof_key=key,
        )

    def open_session(
        self,
        feature: Optional[str] = None,
        *,
        product: Optional[str] = None,
        pid: Optional[int] = None,
        os_session: Optional[str] = None,
    ) -> Session:
        """Opens a session of this process (``pid``, default this one) on the license file that
        grants the product (``feature``); the runtime counts processes per OS session and OS
        sessions per file (``LICTOR_E_SESSIONS_EXHAUSTED`` beyond its limits)."""
        product = product or self.product
        pid = os.getpid() if pid is None else pid
        body = self._application(product)
        body["pid"] = pid
        if feature is not None:
            body["feature"] = feature
        if os_session is not None:
            body["osSession"] = os_session
        answer, doc, _, key = self._grant("/v1/sessions", PURPOSES["session"], body, product, feature, 201)
        _require(
            answer,
            {"id": str, "serial": str, "licenseId": str, "licenseFile": str, "pid": int, "osSession": str, "openedAt": str},
        )
        if answer["serial"] != doc["serial"]:
            raise unproven("not-covered", "the signed answer names another license than the one that signed it")
        if answer["pid"] != pid:
            raise unproven("not-covered", "the signed session is another process's")
        return Session(
            id=answer["id"],
            product=product,
            feature=feature,
            serial=answer["serial"],
            license_id=answer["licenseId"],
            license_file=answer["licenseFile"],
            pid=answer["pid"],
            os_session=answer["osSession"],
            opened_at=answer["openedAt"],
            answer=answer,
            license=doc,
            _client=self,
            proof_key=key,
        )

    def close_session(self, session: Union[str, Session]) -> None:
        """Closes a session (``LICTOR_E_SESSION_UNKNOWN`` when the runtime has none of that id)."""
        sid = session.id if isinstance(session, Session) else session
        _expect(self.transport.request("DELETE", f"/v1/sessions/{quote(sid, safe='')}"), 204, 200)
        if isinstance(session, Session):
            session.closed = True

    def take_seat(
        self,
        feature: Optional[str] = None,
        *,
        product: Optional[str] = None,
        managers: Optional[List[str]] = None,
        pid: Any = _OWN_PID,
    ) -> Seat:
        """Takes a floating seat from a License Manager through the runtime (``managers`` to try
        in order, else the runtime's configuration and discovery). With ``pid`` (default: this
        process; ``None`` for none) the runtime gives the seat back when that process exits."""
        product = product or self.product
        body: Dict[str, Any] = {"publicKey": self.key.text, "product": product}
        if feature is not None:
            body["feature"] = feature
        if managers:
            body["managers"] = list(managers)
        pid = os.getpid() if pid is _OWN_PID else pid
        if pid is not None:
            body["pid"] = pid
        answer, doc, outer, _ = self._grant("/v1/seats", PURPOSES["seat"], body, product, feature, 201)
        # Signed (by the manager): the lease. The runtime's own handle of the seat is not.
        lease = answer["lease"]
        _require(lease, {"id": str, "expiresAt": str})
        _require(outer, {"id": str, "manager": str, "state": str})
        interval = lease.get("heartbeatIntervalMs")
        return Seat(
            id=outer["id"],
            lease_id=lease["id"],
            product=product,
            feature=feature,
            manager=outer["manager"],
            state=outer["state"],
            expires_at=lease["expiresAt"],
            heartbeat_interval_ms=interval if isinstance(interval, (int, float)) else 0,
            pid=outer.get("pid"),
            answer=answer,
            license=doc,
            _client=self,
        )

    def release_seat(self, seat: Union[str, Seat]) -> None:
        """Gives a seat back (``LICTOR_E_LEASE_UNKNOWN`` when the runtime holds none of that id)."""
        sid = seat.id if isinstance(seat, Seat) else seat
        _expect(self.transport.request("DELETE", f"/v1/seats/{quote(sid, safe='')}"), 204, 200)
        if isinstance(seat, Seat):
            seat.released = True

    def events(
        self, *, product: Optional[str] = None, last_event_id: Optional[str] = None, timeout: Optional[float] = None
    ) -> EventStream:
        """``GET /v1/events``: the runtime's change events on a connection of their own
        (``product`` keeps license changes of that product only; ``timeout`` bounds each read,
        the runtime sends a comment every 15 s)."""
        query = "?" + urlencode({"product": product}) if product else ""
        conn, res, target = self.transport.stream(f"/v1/events{query}", timeout, last_event_id)
        if res.status != 200:
            text = res.read(64 * 1024).decode("utf-8", "replace")
            conn.close()
            raise _error_from(Response(res.status, res.getheader("content-type") or "", text, target))
        if not (res.getheader("content-type") or "").startswith("text/event-stream"):
            conn.close()
            raise not_runtime(target, "an event stream that is not text/event-stream")
        return EventStream(conn, res, target, last_event_id)
