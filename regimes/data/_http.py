"""HTTP GET streamed into a file under a total deadline and a size cap.

``urllib``'s ``timeout`` bounds each socket operation, so a server that
trickles one byte every half second can hold a download for ever. Here a
:class:`Deadline` shuts down every socket of the download when its wall-clock
budget is spent (connection, headers and body alike), and the body is
streamed in chunks with a byte cap, so memory stays bounded whatever the
server sends.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.request
from typing import BinaryIO

CHUNK = 1 << 16


class DeadlineExceeded(Exception):
    """The total time allowed for a download was spent."""


class PayloadTooLarge(Exception):
    """The server sent (or announced) more bytes than allowed."""


class Deadline:
    """A wall-clock budget; sockets registered with it are shut down when it runs out.

    Parameters
    ----------
    seconds : float
        Budget from construction.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self.end

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def register(self, sock: socket.socket) -> None:
        """Watch ``sock`` (through a duplicate, so TLS wrapping does not hide it)."""
        dup = sock.dup()
        with self._lock:
            self._socks.append(dup)
            if self._expired:
                _shutdown(dup)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            for sock in self._socks:
                _shutdown(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watched(base: type[http.client.HTTPConnection], deadline: Deadline) -> type[http.client.HTTPConnection]:
    class Connection(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            create = self._create_connection

            def connect(address, timeout=socket.getdefaulttimeout(), source_address=None):  # noqa: B008
                budget = deadline.remaining()
                if budget <= 0:
                    raise DeadlineExceeded()
                sock = create(address, budget if timeout is None else min(timeout, budget), source_address)
                deadline.register(sock)
                return sock

            self._create_connection = connect
    return Connection


def _opener(deadline: Deadline) -> urllib.request.OpenerDirector:
    http_conn = _watched(http.client.HTTPConnection, deadline)
    https_conn = _watched(http.client.HTTPSConnection, deadline)

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):  # noqa: ANN001
            return self.do_open(http_conn, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):  # noqa: ANN001
            return self.do_open(https_conn, req, context=self._context)

    return urllib.request.build_opener(HTTPHandler(), HTTPSHandler())


def get_to_file(url: str, out: BinaryIO, deadline: Deadline, idle: float, max_bytes: int,
                user_agent: str) -> int:
    """Stream the body of ``url`` into ``out``; return the number of bytes.

    Parameters
    ----------
    out : binary file
        Truncated first, so a retry never appends to a failed attempt.
    deadline : Deadline
        Total budget; when it runs out the sockets are shut down and
        :class:`DeadlineExceeded` is raised, whatever the server does.
    idle : float
        Seconds to wait for any single socket operation.
    max_bytes : int
        Largest body accepted (announced or received).

    Raises
    ------
    DeadlineExceeded, PayloadTooLarge
        As named; ``urllib.error.HTTPError``, ``URLError``, ``OSError`` and
        ``http.client.HTTPException`` pass through for the caller to retry.
    """
    out.seek(0)
    out.truncate()
    budget = deadline.remaining()
    if budget <= 0:
        raise DeadlineExceeded()
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with _opener(deadline).open(request, timeout=min(idle, budget)) as response:
            announced = response.headers.get("Content-Length", "")
            if announced.strip().isdigit() and int(announced) > max_bytes:
                raise PayloadTooLarge(f"the server announces {int(announced):,} bytes, more than the "
                                      f"{max_bytes:,} allowed")
            read = getattr(response, "read1", response.read)
            total = 0
            while chunk := read(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise PayloadTooLarge(f"the reply exceeds the {max_bytes:,} bytes allowed")
                out.write(chunk)
                if deadline.expired:
                    raise DeadlineExceeded()
    except (OSError, http.client.HTTPException):
        if deadline.expired:  # the watchdog cut the connection
            raise DeadlineExceeded() from None
        raise
    if deadline.expired:  # a cut connection can look like a short, complete body
        raise DeadlineExceeded()
    out.flush()
    return total
