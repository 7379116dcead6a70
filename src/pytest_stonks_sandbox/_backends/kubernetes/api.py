"""The official Kubernetes client, imported lazily, and the few calls the backend makes with it."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from pytest_stonks_sandbox._core.errors import ProvisionError

INSTALL_HINT = "pip install 'pytest-stonks-sandbox[k8s]' (the official `kubernetes` client)."
IN_CLUSTER_ENV = "KUBERNETES_SERVICE_HOST"


def client_module() -> Any:
    """`kubernetes` itself, or a clear error naming the extra to install."""
    try:
        import kubernetes
    except ImportError as exc:
        raise ProvisionError(
            "kubernetes", "the kubernetes backend needs the kubernetes client.", INSTALL_HINT
        ) from exc
    return kubernetes


def in_cluster() -> bool:
    """True when pytest runs in a pod (the runner Job): reach the sandbox by cluster DNS."""
    return bool(os.environ.get(IN_CLUSTER_ENV))


def api_client(context: str = "") -> Any:
    """An ApiClient from the in-cluster service account or the kubeconfig (KUBECONFIG)."""
    kubernetes = client_module()
    config = kubernetes.config
    try:
        if in_cluster():
            configuration = kubernetes.client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            return kubernetes.client.ApiClient(configuration)
        # The client reads KUBECONFIG once, at import: pass today's value.
        return config.new_client_from_config(
            config_file=os.environ.get("KUBECONFIG") or None, context=context or None
        )
    except (config.ConfigException, OSError, TypeError, ValueError) as exc:
        where = os.environ.get("KUBECONFIG", "~/.kube/config")
        raise ProvisionError(
            "kubernetes",
            f"no usable cluster configuration ({exc}).",
            f"point KUBECONFIG at a kubeconfig for the cluster (now: {where}).",
        ) from exc


def api_exception() -> type[Exception]:
    exc: type[Exception] = client_module().client.exceptions.ApiException
    return exc


def describe(exc: BaseException) -> str:
    """A one-line description of an API error: status, reason and the server's message."""
    status = getattr(exc, "status", None)
    if status is None:
        return f"{type(exc).__name__}: {exc}"
    reason = getattr(exc, "reason", "") or ""
    body = getattr(exc, "body", "") or ""
    message = ""
    if body:
        import json

        try:
            message = str(json.loads(body).get("message", ""))
        except (ValueError, AttributeError):
            message = str(body)[:200]
    return f"{status} {reason}" + (f": {message}" if message else "")


def is_status(exc: BaseException, *statuses: int) -> bool:
    return getattr(exc, "status", None) in statuses


def _private_core(configuration: Any) -> tuple[Any, Any]:
    """A CoreV1Api on its own ApiClient.

    The client's websocket calls (exec, port-forward) swap the ApiClient's `call_api` for the
    length of the handshake, so a shared client would send other threads' calls through a
    websocket: every stream gets a client of its own.
    """
    kubernetes = client_module()
    private = kubernetes.client.ApiClient(configuration)
    return private, kubernetes.client.CoreV1Api(private)


def exec_output(
    configuration: Any, namespace: str, pod: str, container: str, command: list[str]
) -> str:
    """Run `command` in a container through the API (exec) and return its stdout."""
    private, core = _private_core(configuration)
    try:
        output = client_module().stream.stream(
            core.connect_get_namespaced_pod_exec,
            pod,
            namespace,
            container=container,
            command=command,
            stderr=False,
            stdin=False,
            stdout=True,
            tty=False,
            _request_timeout=10,
        )
    finally:
        private.close()
    return str(output)


def open_portforward(configuration: Any, namespace: str) -> Callable[[str, int], tuple[Any, Any]]:
    """A StreamOpener: a port-forward stream to (pod, port) through the API server."""
    portforward = client_module().stream.portforward

    def open_stream(pod: str, port: int) -> tuple[Any, Any]:
        private, core = _private_core(configuration)
        try:
            forward = portforward(
                core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port)
            )
        finally:
            private.close()
        sock = forward.socket(port)
        return sock, functools.partial(close_stream, forward, sock)

    return open_stream


def close_stream(forward: Any, sock: Any, drain_s: float = 2.0) -> None:
    """End a port-forward stream: half-close, read what is still coming, then close.

    Closing with unread data resets the client library's proxy thread, which then dies with a
    traceback; after the half-close it ends the websocket itself and the read sees EOF.
    """
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(drain_s)
        deadline = time.monotonic() + drain_s
        while sock.recv(65536) and time.monotonic() < deadline:
            pass
    forward.close()
