"""Building the backend a configuration asks for, and removing what earlier runs left."""

from __future__ import annotations

from pytest_stonks_sandbox._backends.attach import AttachBackend
from pytest_stonks_sandbox._backends.base import Backend
from pytest_stonks_sandbox._backends.local.rundir import sweep
from pytest_stonks_sandbox._settings.config import SandboxConfig


def make_backend(cfg: SandboxConfig) -> Backend:
    """The backend of `cfg.backend`; the Kubernetes client is imported only when it is asked for."""
    if cfg.backend == "attach":
        return AttachBackend(cfg.state_file, cfg.project, cfg.timeout_s)
    if cfg.backend == "local":
        from pytest_stonks_sandbox._backends.local.backend import LocalBackend

        return LocalBackend(cfg.project, cfg.run_dir, cfg.timeout_s)
    from pytest_stonks_sandbox._backends.kubernetes.backend import KubernetesBackend

    return KubernetesBackend(
        cfg.project,
        cfg.run_id,
        cfg.namespace,
        cfg.image_tag,
        cfg.timeout_s,
        image_registry=cfg.image_registry,
        existing_namespace=cfg.existing_namespace,
    )


def collect_garbage(cfg: SandboxConfig) -> list[str]:
    """`--sandbox-gc`: remove every sandbox left behind, kept ones too; what was removed.

    Local run directories always; with the kubernetes backend also this host's sandbox
    namespaces of ended runs. Raises SandboxError when the cluster cannot be reached.
    """
    removed = sweep(cfg.base_dir, include_kept=True)
    if cfg.backend == "kubernetes":
        from pytest_stonks_sandbox._backends.kubernetes import api
        from pytest_stonks_sandbox._backends.kubernetes.sweep import sweep_namespaces

        client = api.api_client()
        try:
            removed += [f"namespace {name}" for name in sweep_namespaces(client, include_kept=True)]
        finally:
            client.close()
    cfg.state_file.unlink(missing_ok=True)
    return removed
