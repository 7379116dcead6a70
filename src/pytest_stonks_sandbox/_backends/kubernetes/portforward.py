"""Port-forwards made with the Kubernetes API: a loopback listener per component.

Each accepted connection gets its own port-forward stream to a Ready pod of the component
(``kubernetes.stream.portforward``), so a replaced pod (a restart fault, a crash) is picked up
by the next connection, as with ``kubectl port-forward`` to a Service. The listener holds its
local port for the whole run: when a pod goes, the connections forwarded to it are broken (as a
dying pod breaks them) and the next ones wait, with backoff and a time bound, for a Ready pod.
A connection that gets no stream in that time is closed and counted in ``failures``.

Opening a stream costs a round trip through the API server to the kubelet (tens of ms on a real
node). With ``spare_max_age_s`` the forward keeps one stream opened ahead of need: a connection
takes it at once, and the next one is opened behind it. A spare older than that age is closed
unused, since the server behind it may have dropped an idle connection (uvicorn keeps one 5 s).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pytest_stonks_sandbox._core.errors import PortForwardError

CHUNK = 256 * 1024
ACCEPT_BACKLOG = 128
#: How long a connection waits in all for a Ready pod and a stream to it.
RECONNECT_S = 15.0
FIRST_RETRY_S = 0.02
MAX_RETRY_S = 1.0
#: The age under which a stream opened ahead of need is handed to a connection (the backend's
#: choice; 0 opens none ahead). Below every idle timeout of the sandbox's servers.
SPARE_MAX_AGE_S = 1.0

# Returns the name of a Ready pod of the component, waiting at most the given seconds for one;
# raises when there is none (Unavailable: none is wanted, do not wait or count a failure).
PodResolver = Callable[[float], str]
# Opens a stream to (pod, port) and returns (socket-like object, closer).
StreamOpener = Callable[[str, int], tuple[Any, Callable[[], None]]]


class Unavailable(Exception):
    """The component is stopped on purpose: its connections are closed at once."""


def _pump(local: socket.socket, remote: Any) -> None:
    """Copy bytes both ways until either side closes."""
    selector = selectors.DefaultSelector()
    selector.register(local, selectors.EVENT_READ, remote)
    selector.register(remote, selectors.EVENT_READ, local)
    try:
        while True:
            for key, _ in selector.select():
                source = key.fileobj
                data = source.recv(CHUNK)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        return
    finally:
        selector.close()


class _Spare:
    """A stream opened ahead of need: its pod, its ends and when it was opened."""

    __slots__ = ("close", "opened", "pod", "remote")

    def __init__(self, pod: str, remote: Any, close: Callable[[], None]) -> None:
        self.pod = pod
        self.remote = remote
        self.close = close
        self.opened = time.monotonic()


def _close_quietly(close: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        close()


class PortForward:
    """``127.0.0.1:local_port`` forwards to ``remote_port`` of a Ready pod of ``component``.

    Counters: ``connections`` accepted, ``reconnects`` (connections that reached a new pod
    after the previous one went, or got their stream only after retrying), ``failures``
    (connections closed because no stream could be had in time) and ``last_error``.
    """

    def __init__(
        self,
        component: str,
        remote_port: int,
        resolve_pod: PodResolver,
        open_stream: StreamOpener,
        local_port: int = 0,
        reconnect_s: float = RECONNECT_S,
        spare_max_age_s: float = 0.0,
    ) -> None:
        self.component = component
        self.remote_port = remote_port
        self._resolve_pod = resolve_pod
        self._open_stream = open_stream
        self._requested_port = local_port
        self._reconnect_s = reconnect_s
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._open: dict[socket.socket, str] = {}  # connection -> its pod ("" until known)
        self._last_pod = ""
        self._spare_max_age_s = spare_max_age_s
        self._spare: _Spare | None = None
        self._spare_opening = False
        self._generation = 0  # bumped when pods go: a spare opened before is not handed out
        self.connections = 0
        self.reconnects = 0
        self.failures = 0
        self.last_error = ""

    @property
    def local_port(self) -> int:
        if self._listener is None:
            raise RuntimeError(f"the port-forward to {self.component} is not started")
        return int(self._listener.getsockname()[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.local_port}"

    def counters(self) -> dict[str, Any]:
        """What the contract records of this forward."""
        with self._lock:
            return {
                "connections": self.connections,
                "reconnects": self.reconnects,
                "failures": self.failures,
                "last_error": self.last_error,
            }

    def reset_counters(self) -> None:
        """Start counting afresh (the start's own readiness probes are not the run's)."""
        with self._lock:
            self.connections = self.reconnects = self.failures = 0
            self.last_error = ""

    def start(self) -> None:
        """Listen on loopback and forward every connection in its own thread."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", self._requested_port))
        except OSError as exc:
            listener.close()
            raise PortForwardError(
                self.component,
                f"cannot listen on 127.0.0.1:{self._requested_port} ({exc}).",
                "free the port or let the sandbox choose one (remove the fixed port).",
            ) from exc
        listener.listen(ACCEPT_BACKLOG)
        self._listener = listener
        self._thread = threading.Thread(
            target=self._accept_loop,
            args=(listener,),
            name=f"stonks-pf-{self.component}",
            daemon=True,
        )
        self._thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed: stop()
            # Forward each write at once: with Nagle, a reply written in two parts (headers,
            # body) waits for the client's delayed ACK of the first, 40 ms on Linux.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open[conn] = ""
                self.connections += 1
            threading.Thread(
                target=self._serve, args=(conn,), name=f"stonks-pf-{self.component}", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        close_stream: Callable[[], None] | None = None
        try:
            stream = self._connect(conn)
            if stream is not None:
                remote, close_stream = stream
                _pump(conn, remote)
        finally:
            if close_stream is not None:
                _close_quietly(close_stream)
            with self._lock:
                self._open.pop(conn, None)
            with contextlib.suppress(OSError):
                conn.close()

    def _connect(self, conn: socket.socket) -> tuple[Any, Callable[[], None]] | None:
        """A stream to a Ready pod, retried with backoff for at most `reconnect_s`.

        None when there is none in time (a failure: the client sees the connection closed, as
        with kubectl) or the component is stopped on purpose (not a failure).
        """
        deadline = time.monotonic() + self._reconnect_s
        delay = FIRST_RETRY_S
        retried = False
        while True:
            try:
                pod = self._resolve_pod(max(deadline - time.monotonic(), 0.0))
                spare = self._take_spare(pod)
                if spare is not None:
                    remote, close_stream = spare.remote, spare.close
                else:
                    remote, close_stream = self._open_stream(pod, self.remote_port)
                break
            except Unavailable:
                return None
            except Exception as exc:
                with self._lock:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                if time.monotonic() + delay > deadline or self._stopping.wait(delay):
                    with self._lock:
                        self.failures += 1
                    return None
                retried = True
                delay = min(delay * 2, MAX_RETRY_S)
        with self._lock:
            if retried or (self._last_pod and pod != self._last_pod):
                self.reconnects += 1
            self._last_pod = pod
            self._open[conn] = pod
        self._refill_spare(pod)
        return remote, close_stream

    # ------------------------------------------------------------------ the spare stream

    def _take_spare(self, pod: str) -> _Spare | None:
        """The spare stream if it leads to `pod` and is young enough; else None (an unfit
        spare is closed)."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        if spare.pod == pod and time.monotonic() - spare.opened < self._spare_max_age_s:
            return spare
        self._discard(spare)
        return None

    def _refill_spare(self, pod: str) -> None:
        """Open the next connection's stream to `pod` in the background (one at a time)."""
        if self._spare_max_age_s <= 0:
            return
        with self._lock:
            if self._spare is not None or self._spare_opening or self._stopping.is_set():
                return
            self._spare_opening = True
            generation = self._generation
        threading.Thread(
            target=self._open_spare,
            args=(pod, generation),
            name=f"stonks-pf-{self.component}-spare",
            daemon=True,
        ).start()

    def _open_spare(self, pod: str, generation: int) -> None:
        try:
            remote, close_stream = self._open_stream(pod, self.remote_port)
        except Exception:  # a connection that needs it opens its own, and counts what fails
            with self._lock:
                self._spare_opening = False
            return
        spare = _Spare(pod, remote, close_stream)
        with self._lock:
            self._spare_opening = False
            kept = self._spare is None and generation == self._generation
            kept = kept and not self._stopping.is_set()
            if kept:
                self._spare = spare
        if not kept:
            self._discard(spare)

    def _drop_spare(self, pod: str = "") -> None:
        """Close the spare stream (only if it leads to `pod`, when given)."""
        with self._lock:
            self._generation += 1
            spare = self._spare
            if spare is None or (pod and spare.pod != pod):
                return
            self._spare = None
        self._discard(spare)

    @staticmethod
    def _discard(spare: _Spare) -> None:
        threading.Thread(target=_close_quietly, args=(spare.close,), daemon=True).start()

    # ------------------------------------------------------------------ pods going

    def pod_gone(self, pod: str) -> None:
        """Break the connections forwarded to `pod` (it is being deleted or has gone)."""
        self._drop_spare(pod)
        with self._lock:
            doomed = [conn for conn, target in self._open.items() if target == pod]
        _shut(doomed)

    def drop_connections(self) -> None:
        """Break every forwarded connection, as a dying pod does (clients then reconnect).

        Needed after the backend replaced a pod: a stream to a gone pod is not always ended by
        the cluster, and a client would wait on a pooled connection that leads nowhere.
        """
        self._drop_spare()
        with self._lock:
            open_connections = list(self._open)
        _shut(open_connections)

    def stop(self) -> None:
        """Close the listener and every forwarded connection."""
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self.drop_connections()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


def _shut(connections: list[socket.socket]) -> None:
    for conn in connections:
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)
