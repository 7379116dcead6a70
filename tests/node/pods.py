"""A throwaway namespace with pods on the real node, and commands run in them."""

from __future__ import annotations

import time
import uuid

from kubernetes import client
from kubernetes.stream import stream


class Scratch:
    """A namespace for one test; `close` deletes it."""

    def __init__(self, core: client.CoreV1Api) -> None:
        self.core = core
        self.name = f"node-test-{uuid.uuid4().hex[:8]}"
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=self.name)))

    def pod(
        self,
        name: str,
        image: str,
        command: list[str],
        labels: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> client.V1Pod:
        """Run one container and wait until it is Ready."""
        body = client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, labels=labels or {}),
            spec=client.V1PodSpec(
                termination_grace_period_seconds=0,
                containers=[client.V1Container(name="main", image=image, command=command)],
            ),
        )
        self.core.create_namespaced_pod(self.name, body)
        deadline = time.monotonic() + timeout
        while True:
            pod = self.core.read_namespaced_pod(name, self.name)
            assert pod.status is not None
            conditions = {c.type: c.status for c in pod.status.conditions or []}
            if conditions.get("Ready") == "True":
                return pod
            assert time.monotonic() < deadline, f"pod {name} not Ready in {timeout} s: {pod.status}"
            time.sleep(0.5)

    def service(self, name: str, selector: dict[str, str], port: int) -> client.V1Service:
        body = client.V1Service(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1ServiceSpec(
                selector=selector, ports=[client.V1ServicePort(port=port, target_port=port)]
            ),
        )
        return self.core.create_namespaced_service(self.name, body)

    def exec(self, pod: str, command: list[str]) -> str:
        """stdout and stderr of `command` in the pod (through the API server and the kubelet)."""
        output: str = stream(
            self.core.connect_get_namespaced_pod_exec,
            pod,
            self.name,
            command=command,
            stderr=True,
            stdout=True,
            stdin=False,
            tty=False,
        )
        return output

    def close(self) -> None:
        self.core.delete_namespace(self.name, grace_period_seconds=0)
