"""`run_pipeline.sh --in-cluster`: the suite in the runner Job of k8s/runner, launched from here.

A namespace of its own (labelled like a sandbox namespace, owned by this process) -> the
runner's ServiceAccount, Role, RoleBinding and Job in it -> the runner pod's log lines as they
come -> when the pipeline in the pod has finished, its /results (contract, HTML report, failure
bundle) copied back through exec -> the Job's exit code -> the namespace deleted, also on
Ctrl-C or SIGTERM. A Job that cannot run at all (image not pullable, pod never scheduled) ends
the launch with exit 2 and a contract naming why.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import signal
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from pytest_stonks_sandbox._backends.kubernetes import api, manifests
from pytest_stonks_sandbox._backends.kubernetes.cluster import hopeless
from pytest_stonks_sandbox._backends.kubernetes.sweep import owner
from pytest_stonks_sandbox._contract.builder import EXIT_INFRA, write_report
from pytest_stonks_sandbox._contract.fallback import fallback_report
from pytest_stonks_sandbox._core.errors import SandboxError

RUNNER_LABEL = "stonks/runner"
CONTAINER = "pytest"
RESULTS_DIR = "/results"
#: The line k8s/runner/entrypoint.sh prints once the pipeline has finished and /results is full.
FINISHED_MARK = "stonks-runner: finished with exit "
#: How long the pod waits for its results to be fetched (STONKS_RUNNER_HOLD_S).
HOLD_S = 600
POLL_S = 0.5


class LaunchError(Exception):
    """The Job could not run (exit 2); the message says why and what to do."""


@dataclass(frozen=True)
class Launch:
    """What to run in the cluster, and where its results go on this machine."""

    image_tag: str
    run_id: str
    namespace: str
    runner_image: str
    manifest: Path
    results: Path
    html: Path
    image_registry: str = ""
    pytest_args: tuple[str, ...] = ()
    #: until the runner pod runs (image pulled, scheduled)
    start_timeout_s: float = 300.0

    @property
    def job_name(self) -> str:
        return f"stonks-inttest-{self.run_id}"


def default_runner_image(image_tag: str, registry: str = "") -> str:
    """The runner image of the release under test: `[REGISTRY/]stonks-oracle/inttest-runner:TAG`."""
    name = f"stonks-oracle/inttest-runner:{image_tag}"
    return f"{registry.strip('/')}/{name}" if registry else name


def job_objects(launch: Launch) -> list[dict[str, Any]]:
    """k8s/runner/runner.yaml filled in for `launch`: the runner image, the pipeline's
    arguments and the hold that keeps the pod until its results are fetched."""
    values = {"NAMESPACE": launch.namespace, "IMAGE_TAG": launch.image_tag, "RUN_ID": launch.run_id}
    objects = manifests.render_template(launch.manifest, values)
    jobs = [obj for obj in objects if obj.get("kind") == "Job"]
    if len(jobs) != 1:
        raise LaunchError(f"{launch.manifest} must hold exactly one Job (it holds {len(jobs)}).")
    containers = jobs[0]["spec"]["template"]["spec"]["containers"]
    container = next((c for c in containers if c.get("name") == CONTAINER), None)
    if container is None:
        raise LaunchError(f"the Job of {launch.manifest} has no container named {CONTAINER!r}.")
    container["image"] = launch.runner_image
    inner = [f"--sandbox-image-registry={launch.image_registry}"] if launch.image_registry else []
    container["args"] = ["--", *inner, *launch.pytest_args]
    env = [e for e in container.get("env", []) if e.get("name") != "STONKS_RUNNER_HOLD_S"]
    container["env"] = [*env, {"name": "STONKS_RUNNER_HOLD_S", "value": str(HOLD_S)}]
    return objects


def exit_code_of(container_exit: int) -> int:
    """The pipeline's 0/1 stay; anything else (2, a signal, an OOM kill) is an infrastructure
    failure."""
    return container_exit if container_exit in (0, 1) else EXIT_INFRA


def extract_results(archive: bytes, launch: Launch) -> list[Path]:
    """Unpack the pod's /results (a tar.gz) into the places `launch` names; what was written."""
    written = []
    with tempfile.TemporaryDirectory(prefix="stonks-runner-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar.getmembers():
                if not (member.isfile() or member.isdir()) or Path(member.name).is_absolute():
                    raise LaunchError(
                        f"the runner's results hold an unexpected entry {member.name}"
                    )
                if ".." in Path(member.name).parts:
                    raise LaunchError(f"the runner's results hold an unsafe path {member.name}")
                # The files are this user's, not the pod's user's (tarfile chowns as root).
                member.uid, member.gid, member.uname, member.gname = (
                    os.getuid(),
                    os.getgid(),
                    "",
                    "",
                )
            tar.extractall(tmp)  # every entry checked above: files and directories inside tmp
        root = Path(tmp)
        targets = {
            "inttest-results.json": launch.results,
            "inttest-report.html": launch.html,
            "inttest-artifacts": launch.results.parent / "inttest-artifacts",
        }
        for name, target in targets.items():
            source = root / name
            if not source.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                shutil.rmtree(target)
            shutil.move(str(source), str(target))
            written.append(target)
    return written


class _Stop(Exception):
    """SIGTERM, turned into an exception so that the namespace is deleted on the way out."""


@dataclass
class RunnerJob:
    """One launch of the runner Job; `run` returns the exit code (0/1/2)."""

    launch: Launch
    say: Callable[[str], None] = print
    core: Any = None
    batch: Any = None
    api_client: Any = None
    pod: str = ""
    created: bool = False
    fetched: list[Path] = field(default_factory=list)

    def run(self) -> int:
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        try:
            kubernetes = api.client_module()
            self.api_client = api.api_client()
            self.core = kubernetes.client.CoreV1Api(self.api_client)
            self.batch = kubernetes.client.BatchV1Api(self.api_client)
            return self._run()
        except (LaunchError, SandboxError) as exc:
            return self._infra(str(exc))
        except (KeyboardInterrupt, _Stop):
            return self._infra("interrupted: the runner Job was stopped and its namespace deleted.")
        except api.api_exception() as exc:
            return self._infra(f"the Kubernetes API refused a call ({api.describe(exc)}).")
        except Exception as exc:  # anything else is still no test verdict: exit 2, named
            return self._infra(f"the launch failed: {type(exc).__name__}: {exc}")
        finally:
            try:
                self._delete_namespace()
            finally:
                signal.signal(signal.SIGTERM, previous)
                if self.api_client is not None:
                    self.api_client.close()

    # ------------------------------------------------------------------ steps

    def _run(self) -> int:
        launch = self.launch
        objects = job_objects(launch)  # a broken manifest is reported before anything exists
        self._create_namespace()
        kubernetes = api.client_module()
        for obj in objects:
            try:
                kubernetes.utils.create_from_dict(self.api_client, obj, namespace=launch.namespace)
            except kubernetes.utils.FailToCreateError as exc:
                reasons = "; ".join(api.describe(e) for e in exc.api_exceptions)
                raise LaunchError(
                    f"{obj['kind']} {obj['metadata']['name']} refused: {reasons}"
                ) from exc
        self.say(f"applied {launch.manifest} in namespace {launch.namespace}: Role, Job "
                 f"{launch.job_name}, image {launch.runner_image}")  # fmt: skip
        self.pod = self._await_pod()
        self.say(f"runner pod {self.pod} is running; its output follows")
        finished = False
        for line in self._log_lines():
            self.say(line)
            if line.startswith(FINISHED_MARK) and not finished:
                finished = True
                self._fetch()
        code = self._container_exit()
        if not finished or not self.fetched:
            return self._infra(
                f"the runner pod {self.pod} ended (exit {code}) before its results could be "
                "copied; its output is above."
            )
        self.say(f"results copied back: {', '.join(map(str, self.fetched))}")
        return exit_code_of(code)

    def _create_namespace(self) -> None:
        body = manifests.namespace_object(self.launch.namespace, self.launch.run_id, owner())
        try:
            self.core.create_namespace(body)
        except api.api_exception() as exc:
            taken = api.is_status(exc, 409)
            raise LaunchError(
                f"namespace {self.launch.namespace} "
                + ("exists already: choose another --namespace."
                   if taken else f"could not be created ({api.describe(exc)}).")
            ) from exc  # fmt: skip
        self.created = True

    def _runner_pods(self) -> list[Any]:
        selector = f"{RUNNER_LABEL}={self.launch.run_id}"
        return list(
            self.core.list_namespaced_pod(self.launch.namespace, label_selector=selector).items
        )

    def _await_pod(self) -> str:
        """The runner pod's name once its container runs (or has already ended)."""
        deadline = time.monotonic() + self.launch.start_timeout_s
        while True:
            for pod in self._runner_pods():
                problem = hopeless(pod)
                if problem and pod.status.phase != "Failed":
                    raise LaunchError(
                        f"the runner Job cannot run: {problem}. Runner image: "
                        f"{self.launch.runner_image}; check that it exists for --image-tag "
                        "(or name it with --runner-image) and that the cluster may pull it."
                    )
                if pod.status.phase in ("Running", "Succeeded", "Failed"):
                    return str(pod.metadata.name)
            self._job_failed()
            if time.monotonic() > deadline:
                raise LaunchError(
                    f"the runner pod is not running after {self.launch.start_timeout_s:.0f} s "
                    f"({self._pod_summary()}); look at kubectl -n {self.launch.namespace} "
                    "describe pods."
                )
            time.sleep(POLL_S)

    def _job_failed(self) -> None:
        job = self.batch.read_namespaced_job(self.launch.job_name, self.launch.namespace)
        for condition in (job.status.conditions if job.status else None) or []:
            if condition.type == "Failed" and condition.status == "True":
                raise LaunchError(
                    f"the runner Job {self.launch.job_name} failed before its pod ran "
                    f"({condition.reason}: {condition.message})."
                )

    def _pod_summary(self) -> str:
        pods = self._runner_pods()
        if not pods:
            return "no pod was created"
        pod = pods[0]
        conditions = "; ".join(
            f"{c.type}={c.status} {c.reason or ''} {c.message or ''}".strip()
            for c in pod.status.conditions or []
        )
        return f"pod {pod.metadata.name} {pod.status.phase}" + (
            f": {conditions}" if conditions else ""
        )

    def _log_lines(self) -> Iterator[str]:
        """The container's log lines as they are written, until the container has ended."""
        since: int | None = None
        while True:
            response = self.core.read_namespaced_pod_log(
                self.pod, self.launch.namespace, container=CONTAINER, follow=True,
                since_seconds=since, _preload_content=False,
            )  # fmt: skip
            buffer = b""
            try:
                for chunk in response.stream(amt=None, decode_content=True):
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        yield line.decode("utf-8", "replace")
            finally:
                response.release_conn()
            if buffer:
                yield buffer.decode("utf-8", "replace")
            if self._terminated() is not None:
                return
            since = 2  # the stream was cut while the container runs: follow it again

    def _terminated(self) -> Any:
        pod = self.core.read_namespaced_pod(self.pod, self.launch.namespace)
        for status in pod.status.container_statuses or []:
            if status.name == CONTAINER and status.state and status.state.terminated:
                return status.state.terminated
        return None

    def _container_exit(self, timeout_s: float = 60.0) -> int:
        deadline = time.monotonic() + timeout_s
        while (terminated := self._terminated()) is None:
            if time.monotonic() > deadline:
                raise LaunchError(f"the runner pod {self.pod} has not ended {timeout_s:.0f} s "
                                  "after its output did.")  # fmt: skip
            time.sleep(POLL_S)
        if terminated.reason not in (None, "Completed", "Error"):
            self.say(f"runner container ended: {terminated.reason} (exit {terminated.exit_code})")
        return int(terminated.exit_code)

    def _fetch(self) -> None:
        """Copy /results out of the pod (tar, base64 over exec), then let the pod end."""
        script = f"tar czf - -C {RESULTS_DIR} --exclude=./fetched . | base64"
        encoded = self._exec(["sh", "-c", script])
        archive = base64.b64decode("".join(encoded.split()))
        self.fetched = extract_results(archive, self.launch)
        self._exec(["touch", f"{RESULTS_DIR}/fetched"])

    def _exec(self, command: list[str]) -> str:
        kubernetes = api.client_module()
        private = kubernetes.client.ApiClient(self.api_client.configuration)
        try:
            output = kubernetes.stream.stream(
                kubernetes.client.CoreV1Api(private).connect_get_namespaced_pod_exec,
                self.pod, self.launch.namespace, container=CONTAINER, command=command,
                stderr=False, stdin=False, stdout=True, tty=False, _request_timeout=120,
            )  # fmt: skip
        finally:
            private.close()
        return str(output)

    def _infra(self, message: str) -> int:
        """Exit 2; a contract naming why, unless the pod's own contract came back."""
        self.say(f"error: {message}")
        if self.launch.results not in self.fetched:
            document = fallback_report(EXIT_INFRA, message)
            document["run_id"] = self.launch.run_id
            document["backend"] = "kubernetes"
            document["namespace"] = self.launch.namespace
            document["image_tag"] = self.launch.image_tag
            self.launch.results.parent.mkdir(parents=True, exist_ok=True)
            write_report(self.launch.results, document)
        return EXIT_INFRA

    def _delete_namespace(self, timeout_s: float = 120.0) -> None:
        if not self.created:
            return
        name = self.launch.namespace
        try:
            self.core.delete_namespace(name, propagation_policy="Background")
        except api.api_exception() as exc:
            if not api.is_status(exc, 404):
                self.say(f"error: namespace {name} could not be deleted ({api.describe(exc)}); "
                         f"delete it yourself: kubectl delete namespace {name}")  # fmt: skip
            return
        self.say(f"deleting namespace {name}")
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline:
                try:
                    self.core.read_namespace(name)
                except api.api_exception() as exc:
                    if api.is_status(exc, 404):
                        self.say(f"namespace {name} deleted")
                        return
                    raise
                time.sleep(POLL_S)
        except (KeyboardInterrupt, _Stop):
            pass
        self.say(f"namespace {name} is still terminating; it goes on without this process")


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop()
