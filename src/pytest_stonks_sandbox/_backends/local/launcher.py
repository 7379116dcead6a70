"""The preloading launcher: one process imports what the services share, then forks each service.

The local backend runs this file as a program of its own (standard library only, so it imports
nothing of the plugin):

    python -c "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')" launcher.py \
        '{"preload": [...], "paths": [...]}'

It imports the `preload` modules once, then answers commands, one JSON object a line on stdin,
with one JSON object a line on stdout:

    {"op": "fork", "id": N, "name", "app", "host", "port", "env", "cwd", "log"}
        -> {"op": "forked", "id": N, "pid": P}
    {"op": "detach"}   the sandbox is kept: outlive the backend, exit after the last child
    (once, first)      -> {"op": "ready", "failed": {module: error}, "threads": [names]}
    (a child ended)    -> {"op": "exited", "pid": P, "code": C}   (C < 0: killed by signal -C)

A child is a session of its own (the backend signals its group), dies with the launcher
(PR_SET_PDEATHSIG), starts with default signal handlers, writes to its own log, runs in its
service's directory with its service's environment, imports its app and serves it with uvicorn.
The launcher forks from its only thread and never runs an event loop. When its stdin ends (the
backend's process ended, kill -9 included) it kills every child and exits, unless detached.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import selectors
import signal
import sys
import threading
import traceback
from collections.abc import Mapping
from typing import Any

PR_SET_PDEATHSIG = 1
# The replies go to the stdout the backend gave; fd 1 itself then points at the log, so that
# whatever an imported module prints cannot break the protocol.
_replies = 1
#: A child's exit code when its app cannot be imported (the backend names the `app` key).
APP_LOAD_FAILED = 3


def _send(message: Mapping[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the backend is gone (a detached launcher)
        os.write(_replies, (json.dumps(message) + "\n").encode())


def preload(modules: list[str], paths: list[str]) -> dict[str, str]:
    """Import each module; return those that failed, with their error."""
    for path in reversed(paths):
        if path not in sys.path:
            sys.path.insert(0, path)
    failed = {}
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # reported to the backend, which names the module
            failed[module] = f"{type(exc).__name__}: {exc}"
    return failed


def load_app(spec: str) -> Any:
    """The object named by "module:attribute" (attribute may be dotted)."""
    module_name, _, attribute = spec.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def _die_with(parent: int) -> None:
    """Be killed when the launcher dies (Linux); exit now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _child(command: Mapping[str, Any], parent: int) -> int:
    """Become the service: own session, own log, own environment; serve until stopped."""
    os.setsid()
    _die_with(parent)
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    log = os.open(command["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, 65536)
    os.chdir(command["cwd"])
    os.environ.clear()
    os.environ.update(command["env"])
    if "random" in sys.modules:  # a fork shares the launcher's generator state
        sys.modules["random"].seed()
    name, spec = command["name"], command["app"]
    try:
        app = load_app(spec)
    except Exception:
        print(f"stonks-sandbox launcher: service {name!r} cannot load app {spec!r}:", flush=True)
        traceback.print_exc()
        return APP_LOAD_FAILED
    import uvicorn

    config = uvicorn.Config(app, host=command["host"], port=int(command["port"]), access_log=False)
    try:
        uvicorn.Server(config).run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


class Launcher:
    """The command loop: forks on request, reports every child that ends."""

    def __init__(self) -> None:
        self.children: set[int] = set()
        self.detached = False
        self.buffer = b""
        self.selector = selectors.DefaultSelector()
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        self.wake = wake_read
        signal.signal(signal.SIGCHLD, lambda *_: None)  # its wake-up byte is what counts
        signal.set_wakeup_fd(wake_write)
        self.selector.register(0, selectors.EVENT_READ)
        self.selector.register(wake_read, selectors.EVENT_READ)

    def fork(self, command: Mapping[str, Any]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(command, parent)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children.add(pid)
        _send({"op": "forked", "id": command["id"], "pid": pid})

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)
            _send({"op": "exited", "pid": pid, "code": os.waitstatus_to_exitcode(status)})

    def kill_all(self) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def handle(self, line: bytes) -> None:
        command = json.loads(line)
        if command.get("op") == "fork":
            self.fork(command)
        elif command.get("op") == "detach":
            self.detached = True

    def serve(self) -> None:
        stdin_open = True
        while stdin_open or (self.detached and self.children):
            for key, _ in self.selector.select():
                if key.fd == self.wake:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake, 4096)
                    continue
                chunk = os.read(0, 65536)
                if not chunk:
                    stdin_open = False
                    self.selector.unregister(0)
                    continue
                self.buffer += chunk
                *lines, self.buffer = self.buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        self.handle(line)
            self.reap()
        if not self.detached:
            self.kill_all()


def main(argv: list[str]) -> None:
    global _replies
    _replies = os.dup(1)
    os.dup2(2, 1)
    settings = json.loads(argv[0]) if argv else {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    failed = preload(list(settings.get("preload", [])), list(settings.get("paths", [])))
    threads = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    launcher = Launcher()
    _send({"op": "ready", "failed": failed, "threads": threads})
    if threads:
        return  # forking now would copy locks held by other threads; the backend reports it
    launcher.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
