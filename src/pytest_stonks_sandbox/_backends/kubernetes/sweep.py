"""Namespaces that runs on this host left behind: who owns one, and sweeping the dead runs' ones."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

import psutil

from pytest_stonks_sandbox._backends.kubernetes import api, manifests

KEPT_ANNOTATION = "stonks/kept"


def owner() -> str:
    """Who holds a namespace: host and pid, so that a later run can tell a leaked one."""
    return f"{socket.gethostname()}:{os.getpid()}"


def leaked(annotations: Mapping[str, str], include_kept: bool) -> bool:
    """A sandbox namespace whose run on this host is dead (and, unless asked, not kept).

    A namespace whose run is still alive is never leaked, kept or not (as with run dirs).
    """
    host, _, pid = annotations.get(manifests.OWNER_ANNOTATION, "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or psutil.pid_exists(int(pid)):
        return False
    return include_kept or annotations.get(KEPT_ANNOTATION) != "true"


def sweep_namespaces(api_client: Any, include_kept: bool = False) -> list[str]:
    """Delete the sandbox namespaces that runs on this host left behind (killed with -9).

    Kept ones are removed only with `include_kept` (--sandbox-gc). Returns their names; the
    deletion goes on in the background.
    """
    core = api.client_module().client.CoreV1Api(api_client)
    selector = ",".join(f"{key}={value}" for key, value in manifests.MANAGED_BY.items())
    removed = []
    for namespace in core.list_namespace(label_selector=selector).items:
        meta = namespace.metadata
        if namespace.status.phase == "Terminating":
            continue
        if leaked(meta.annotations or {}, include_kept):
            try:
                core.delete_namespace(meta.name, propagation_policy="Background")
            except api.api_exception() as exc:
                if not api.is_status(exc, 404, 409):
                    raise
            removed.append(str(meta.name))
    return removed
