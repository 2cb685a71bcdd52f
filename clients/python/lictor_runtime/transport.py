"""HTTP/JSON to the runtime with ``http.client``: over its Unix socket (an ``AF_UNIX`` subclass of
``HTTPConnection``) or loopback TCP. Where the runtime is: the socket and/or URL given, else
``LICTOR_RUNTIME_SOCKET`` / ``LICTOR_RUNTIME_URL``, else the default socket
(``$XDG_RUNTIME_DIR/lictor/runtime.sock``, then ``/run/lictor/runtime.sock``) and then
``http://127.0.0.1:8791``; the next one is tried only when nothing accepts the connection."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import threading
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from .canonical import loads
from .errors import LictorError

__all__ = ["Target", "UnixTarget", "TcpTarget", "Transport", "Response", "default_targets", "DEFAULT_URL"]

DEFAULT_URL = "http://127.0.0.1:8791"
#: An answer larger than this is not the runtime's (its largest, a status, is a few kilobytes).
MAX_ANSWER_BYTES = 4 * 1024 * 1024


class UnixHTTPConnection(http.client.HTTPConnection):
    """``HTTPConnection`` over a Unix domain socket (``Host: localhost``)."""

    def __init__(self, path: str, timeout: Optional[float]):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class Target:
    """Where a runtime may listen."""

    def connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


class UnixTarget(Target):
    """The runtime's Unix socket."""

    def __init__(self, path: str):
        self.path = path

    def connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        return UnixHTTPConnection(self.path, timeout)

    def __str__(self) -> str:
        return f"unix:{self.path}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TcpTarget(Target):
    """The runtime's loopback HTTP address (``http://127.0.0.1:8791``). Only loopback hosts are
    accepted: the runtime answers programs of this computer only."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme != "http" or not _is_loopback(host) or parts.path not in ("", "/") or parts.query:
            raise LictorError(
                "LICTOR_E_INVALID_INPUT",
                f"'{url}' is not the runtime's loopback address (http://127.0.0.1:<port>, http://[::1]:<port> or http://localhost:<port>)",
            )
        try:
            port = parts.port or 80
        except ValueError:
            raise LictorError("LICTOR_E_INVALID_INPUT", f"'{url}' has an invalid port") from None
        self.host = host
        self.port = port
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def __str__(self) -> str:
        return self.url


def default_targets(socket_path: Optional[str] = None, url: Optional[str] = None) -> List[Target]:
    """The runtimes to try, in order: those given as arguments; else those the environment
    names (``LICTOR_RUNTIME_SOCKET``, ``LICTOR_RUNTIME_URL``); else the default socket and then
    the default loopback address."""
    if not socket_path and not url:
        socket_path = os.environ.get("LICTOR_RUNTIME_SOCKET") or None
        url = os.environ.get("LICTOR_RUNTIME_URL") or None
    targets: List[Target] = []
    if socket_path:
        targets.append(UnixTarget(socket_path))
    if url:
        targets.append(TcpTarget(url))
    if targets:
        return targets
    if hasattr(socket, "AF_UNIX"):
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        if xdg:
            targets.append(UnixTarget(os.path.join(xdg, "lictor", "runtime.sock")))
        targets.append(UnixTarget("/run/lictor/runtime.sock"))
    targets.append(TcpTarget(DEFAULT_URL))
    return targets


class Response:
    """An answer: HTTP status, content type, and the body parsed as JSON (``None`` when empty
    or not JSON; ``text`` keeps it)."""

    def __init__(self, status: int, content_type: str, text: str, target: Target):
        self.status = status
        self.content_type = content_type
        self.text = text
        self.target = target
        self.json: Any = None
        if text != "":
            try:
                self.json = loads(text)
            except (ValueError, RecursionError):
                self.json = None


# What a connection that the runtime had closed while idle raises on reuse: worth one new try.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.CannotSendRequest)
# What "nothing listens there" looks like: try the next target.
_UNREACHABLE = (FileNotFoundError, ConnectionRefusedError, ConnectionAbortedError, socket.gaierror, OSError)


class Transport:
    """Requests to the first runtime that accepts a connection, on one kept-alive connection
    (thread-safe: one request at a time)."""

    def __init__(self, targets: List[Target], timeout: Optional[float] = 30.0):
        if not targets:
            raise LictorError("LICTOR_E_INVALID_INPUT", "no runtime address to try")
        self.targets = targets
        self.timeout = timeout
        self._lock = threading.Lock()
        self._conn: Optional[http.client.HTTPConnection] = None
        self._target: Optional[Target] = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _connect(self, timeout: Optional[float]) -> Tuple[http.client.HTTPConnection, Target]:
        """A new connection: the target that answered last, else each in turn."""
        order = ([self._target] if self._target else []) + [t for t in self.targets if t is not self._target]
        failures = []
        for target in order:
            conn = target.connection(timeout)
            try:
                conn.connect()
            except _UNREACHABLE as err:
                conn.close()
                failures.append(f"{target} ({getattr(err, 'strerror', None) or err or type(err).__name__})")
                continue
            self._target = target
            return conn, target
        raise LictorError(
            "LICTOR_E_RUNTIME_UNREACHABLE",
            "no Lictor Runtime answers at " + ", ".join(failures)
            + ": start it (lictor runtime serve, or its system service) or name it with LICTOR_RUNTIME_SOCKET or LICTOR_RUNTIME_URL",
            {"tried": [str(t) for t in order]},
        )

    def request(
        self, method: str, path: str, body: Optional[Dict[str, Any]] = None, headers: Optional[Dict[str, str]] = None
    ) -> Response:
        """Sends one request (a JSON body when given, ``headers`` added) and reads the whole answer."""
        payload = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {**(headers or {}), "accept": "application/json"}
        if payload is not None:
            headers["content-type"] = "application/json"
        with self._lock:
            reused = self._conn is not None
            for attempt in (0, 1):
                if self._conn is None:
                    self._conn, _ = self._connect(self.timeout)
                    reused = False
                conn, target = self._conn, self._target
                assert target is not None
                try:
                    conn.request(method, path, body=payload, headers=headers)
                    res = conn.getresponse()
                    data = res.read(MAX_ANSWER_BYTES + 1)
                except _STALE:
                    self._drop()
                    if reused and attempt == 0:
                        continue  # the runtime closed the idle connection: once more on a new one
                    raise LictorError(
                        "LICTOR_E_RUNTIME_UNREACHABLE", f"the runtime at {target} closed the connection without answering"
                    ) from None
                except (socket.timeout, OSError, http.client.HTTPException) as err:
                    self._drop()
                    raise LictorError(
                        "LICTOR_E_RUNTIME_UNREACHABLE", f"no answer from the runtime at {target}: {err}"
                    ) from None
                if len(data) > MAX_ANSWER_BYTES:
                    self._drop()
                    raise not_runtime(target, f"an answer larger than {MAX_ANSWER_BYTES} bytes")
                if res.will_close:
                    self._drop()
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise not_runtime(target, "an answer that is not UTF-8") from None
                return Response(res.status, res.getheader("content-type") or "", text, target)
        raise AssertionError("unreachable")  # pragma: no cover

    def stream(
        self, path: str, timeout: Optional[float], last_event_id: Optional[str] = None
    ) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse, Target]:
        """A new connection of its own for a long answer (the event stream)."""
        with self._lock:
            conn, target = self._connect(timeout)
        try:
            headers = {"accept": "text/event-stream"}
            if last_event_id is not None:
                headers["last-event-id"] = last_event_id
            conn.request("GET", path, headers=headers)
            return conn, conn.getresponse(), target
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise LictorError("LICTOR_E_RUNTIME_UNREACHABLE", f"no answer from the runtime at {target}: {err}") from None


def not_runtime(target: Target, what: str) -> LictorError:
    """What answered is not a Lictor Runtime (another program on its port or socket)."""
    return LictorError(
        "LICTOR_E_RUNTIME_UNREACHABLE",
        f"what answers at {target} is not a Lictor Runtime: {what}",
        {"target": str(target)},
    )
