"""The runner Job's pure parts: k8s/runner/runner.yaml filled in for a launch, the exit code, and
the results archive unpacked (tests/node runs the Job itself on the real node)."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from pytest_stonks_sandbox._backends.kubernetes.runnerjob import (
    HOLD_S,
    Launch,
    LaunchError,
    default_runner_image,
    exit_code_of,
    extract_results,
    job_objects,
)

REPO = Path(__file__).resolve().parents[2]


def _launch(tmp_path: Path, **overrides: object) -> Launch:
    values: dict[str, object] = {
        "image_tag": "1.4.2",
        "run_id": "ci-7",
        "namespace": "stonks-inttest-ci-7",
        "runner_image": default_runner_image("1.4.2", "localhost/"),
        "manifest": REPO / "k8s" / "runner" / "runner.yaml",
        "results": tmp_path / "out" / "inttest-results.json",
        "html": tmp_path / "out" / "inttest-report.html",
        "image_registry": "localhost",
        "pytest_args": ("-n", "2", "tests/integration/test_query_api.py"),
    }
    values.update(overrides)
    return Launch(**values)  # type: ignore[arg-type]


def test_the_manifest_has_a_role_in_its_namespace_and_the_job_runs_the_launch(
    tmp_path: Path,
) -> None:
    objects = job_objects(_launch(tmp_path))
    kinds = [obj["kind"] for obj in objects]
    assert kinds == ["ServiceAccount", "Role", "RoleBinding", "Job"]
    assert all(obj["metadata"]["namespace"] == "stonks-inttest-ci-7" for obj in objects)
    role = objects[1]
    own = [rule for rule in role["rules"] if "namespaces" in rule["resources"]]
    assert [(r["resourceNames"], r["verbs"]) for r in own] == [
        (["stonks-inttest-ci-7"], ["get", "patch"])
    ]
    job = objects[3]
    assert job["metadata"]["name"] == "stonks-inttest-ci-7"
    pod = job["spec"]["template"]
    assert "app.kubernetes.io/name" not in pod["metadata"]["labels"]  # not a sandbox component
    container = pod["spec"]["containers"][0]
    assert container["image"] == "localhost/stonks-oracle/inttest-runner:1.4.2"
    assert container["args"] == ["--", "--sandbox-image-registry=localhost", "-n", "2",
                                 "tests/integration/test_query_api.py"]  # fmt: skip
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["STONKS_RUNNER_HOLD_S"] == str(HOLD_S)
    assert env["STONKS_SANDBOX_EXISTING_NAMESPACE"] == "1"
    assert env["STONKS_SANDBOX_RUN_ID"] == "ci-7"
    assert env["POD_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}


def test_a_manifest_without_the_job_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "runner.yaml"
    manifest.write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n")
    with pytest.raises(LaunchError, match="exactly one Job"):
        job_objects(_launch(tmp_path, manifest=manifest))


def test_default_runner_image() -> None:
    assert default_runner_image("2.0") == "stonks-oracle/inttest-runner:2.0"
    assert default_runner_image("2.0", "reg.example:5000/") == (
        "reg.example:5000/stonks-oracle/inttest-runner:2.0"
    )


@pytest.mark.parametrize(("container", "expected"), [(0, 0), (1, 1), (2, 2), (137, 2), (5, 2)])
def test_exit_code_of(container: int, expected: int) -> None:
    assert exit_code_of(container) == expected


def _archive(files: dict[str, bytes], extra: tarfile.TarInfo | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.uid = info.gid = 10001
            tar.addfile(info, io.BytesIO(data))
        if extra is not None:
            tar.addfile(extra)
    return buffer.getvalue()


def test_results_go_where_the_launch_says(tmp_path: Path) -> None:
    launch = _launch(tmp_path)
    contract = json.dumps({"outcome": "passed"}).encode()
    archive = _archive({
        "./inttest-results.json": contract,
        "./inttest-report.html": b"<html></html>",
        "./inttest-artifacts/sandbox/postgres.log": b"ready",
        "./exit-code": b"0\n",
    })  # fmt: skip
    written = extract_results(archive, launch)
    assert launch.results.read_bytes() == contract
    assert launch.html.read_bytes() == b"<html></html>"
    bundle = launch.results.parent / "inttest-artifacts" / "sandbox" / "postgres.log"
    assert bundle.read_bytes() == b"ready"
    assert set(written) == {launch.results, launch.html, bundle.parent.parent}
    assert launch.results.stat().st_uid == os.getuid()  # not the pod user's


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd"])
def test_results_with_unsafe_paths_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(LaunchError, match=r"unsafe path|unexpected entry"):
        extract_results(_archive({name: b"x"}), _launch(tmp_path))
    assert not (tmp_path / "escape.txt").exists()


def test_results_with_links_are_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("./inttest-results.json")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/shadow"
    with pytest.raises(LaunchError, match="unexpected entry"):
        extract_results(_archive({}, link), _launch(tmp_path))
