"""config.resolve precedence and errors, project.parse_project errors, run ids, and the usage
errors a user sees for bad options."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import Inner, run_dirs

from pytest_stonks_sandbox._core.errors import ConfigError
from pytest_stonks_sandbox._settings.config import (
    RUN_ID_PATTERN,
    OptionError,
    SandboxConfig,
    base_dir,
    new_run_id,
    resolve,
)
from pytest_stonks_sandbox._settings.options import DEFAULT_STATE_FILE
from pytest_stonks_sandbox._settings.project import ProjectConfig, parse_project

ROOT = Path("/srv/project")


def _resolve(
    cli: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    ini: dict[str, Any] | None = None,
    table: dict[str, Any] | None = None,
) -> SandboxConfig:
    project = ProjectConfig(root=ROOT, options=table or {})
    return resolve(cli or {}, env or {}, ini or {}, project, ROOT)


# --- precedence: CLI > env > ini > [tool.stonks-sandbox] > default -----------------------------
SOURCES = {
    "cli": ("cli", "keep", "always"),
    "env": ("env", "STONKS_SANDBOX_KEEP", "on-failure"),
    "ini": ("ini", "keep", "never"),
    "table": ("table", "keep", "on-failure"),
}


def test_defaults() -> None:
    cfg = _resolve()
    assert cfg.enabled is False
    assert (cfg.backend, cfg.keep, cfg.reuse, cfg.enforce_budgets) == (
        "local",
        "never",
        False,
        False,
    )
    assert (cfg.timeout_s, cfg.memory_interval_s) == (60.0, 1.0)
    assert cfg.results_path == ROOT / "inttest-results.json"
    assert cfg.state_file == ROOT / DEFAULT_STATE_FILE
    assert cfg.namespace == f"stonks-inttest-{cfg.run_id}"
    assert RUN_ID_PATTERN.match(cfg.run_id)
    assert cfg.run_dir == cfg.base_dir / cfg.run_id


def test_each_source_beats_the_ones_below_it() -> None:
    everything: dict[str, dict[str, Any]] = {
        "cli": {"timeout": "5"},
        "env": {"STONKS_SANDBOX_TIMEOUT": "6"},
        "ini": {"timeout": "7"},
        "table": {"timeout": 8},
    }
    assert _resolve(**everything).timeout_s == 5.0
    del everything["cli"]
    assert _resolve(**everything).timeout_s == 6.0
    del everything["env"]
    assert _resolve(**everything).timeout_s == 7.0
    del everything["ini"]
    assert _resolve(**everything).timeout_s == 8.0
    del everything["table"]
    assert _resolve(**everything).timeout_s == 60.0


def test_precedence_for_choices_booleans_and_paths() -> None:
    cfg = _resolve(
        cli={"keep": "always", "results": "/out/cli.json"},
        env={"STONKS_SANDBOX_KEEP": "on-failure", "STONKS_SANDBOX_ENFORCE_BUDGETS": "yes"},
        ini={"keep": "never", "enforce-budgets": "false", "results": "ini.json"},
        table={"keep": "on-failure", "results": "table.json", "memory-interval": 0.25},
    )
    assert cfg.keep == "always"
    assert cfg.enforce_budgets is True
    assert cfg.results_path == Path("/out/cli.json")
    assert cfg.memory_interval_s == 0.25
    assert _resolve(ini={"results": "ini.json"}).results_path == ROOT / "ini.json"
    assert _resolve(ini={"keep": ""}, table={"keep": "always"}).keep == "always"  # unset ini


def test_enabling_and_reuse() -> None:
    assert _resolve(cli={"sandbox": True}).enabled
    assert _resolve(env={"STONKS_SANDBOX": "1"}).enabled
    assert not _resolve(env={"STONKS_SANDBOX": "0"}).enabled
    assert _resolve(cli={"skip-teardown": True}).keep == "always"
    reuse = _resolve(cli={"sandbox-reuse": ""})
    assert (reuse.enabled, reuse.reuse, reuse.backend) == (True, True, "attach")
    assert reuse.state_file == ROOT / DEFAULT_STATE_FILE
    assert _resolve(cli={"sandbox-reuse": "kept.json"}).state_file == ROOT / "kept.json"
    assert _resolve(env={"STONKS_SANDBOX_REUSE": "/k/s.json"}).state_file == Path("/k/s.json")
    assert _resolve(env={"STONKS_SANDBOX_REUSE": "1"}).reuse
    assert not _resolve(env={"STONKS_SANDBOX_REUSE": "0"}).reuse
    assert _resolve(table={"state-file": "st.json"}).state_file == ROOT / "st.json"
    assert _resolve(env={"STONKS_SANDBOX_DIR": "/x/base"}).base_dir == Path("/x/base")
    assert _resolve(cli={"sandbox-gc": True}).gc_only


def test_run_directories_default_to_memory_when_it_can_be_written(tmp_path: Path) -> None:
    memory = tmp_path / "shm"
    memory.mkdir()
    assert base_dir({}, memory) == memory / "stonks-sandbox"
    assert base_dir({"STONKS_SANDBOX_DIR": "/x/base"}, memory) == Path("/x/base")
    fallback = Path(tempfile.gettempdir()).resolve() / "stonks-sandbox"
    assert base_dir({}, tmp_path / "absent") == fallback
    (tmp_path / "a-file").write_text("")
    assert base_dir({}, tmp_path / "a-file") == fallback
    assert base_dir({}, memory, min_free=1 << 60) == fallback  # too small: a container's shm


def test_run_id_and_namespace_follow_the_cli() -> None:
    cfg = _resolve(cli={"run-id": "ci-42"})
    assert (cfg.run_id, cfg.namespace) == ("ci-42", "stonks-inttest-ci-42")
    assert _resolve(env={"STONKS_SANDBOX_NAMESPACE": "mine"}).namespace == "mine"
    k8s = _resolve(cli={"backend": "kubernetes", "image-tag": "1.4.2"})
    assert (k8s.backend, k8s.image_tag) == ("kubernetes", "1.4.2")
    assert not k8s.existing_namespace
    job = _resolve(env={"STONKS_SANDBOX_EXISTING_NAMESPACE": "1", "STONKS_SANDBOX_NAMESPACE": "ci"})
    assert (job.namespace, job.existing_namespace) == ("ci", True)


def test_kubernetes_defaults_and_gc_without_a_tag() -> None:
    k8s = _resolve(cli={"backend": "kubernetes", "image-tag": "t"})
    assert (k8s.timeout_s, k8s.memory_interval_s) == (300.0, 5.0)
    assert _resolve(cli={"backend": "kubernetes", "image-tag": "t", "timeout": 20}).timeout_s == 20
    assert (_resolve().timeout_s, _resolve().memory_interval_s) == (60.0, 1.0)
    # Removing leftovers needs no image tag.
    gc = _resolve(cli={"backend": "kubernetes", "sandbox-gc": True})
    assert gc.gc_only and gc.backend == "kubernetes"


# --- every OptionError names the option and where the bad value came from -------------------
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"cli": {"keep": "sometimes"}}, "--keep (from option --keep): 'sometimes' is not one of"),
        (
            {"env": {"STONKS_SANDBOX_KEEP": "sometimes"}},
            "--keep (from environment variable STONKS_SANDBOX_KEEP): 'sometimes'",
        ),
        ({"ini": {"keep": "later"}}, "--keep (from ini option sandbox_keep): 'later'"),
        (
            {"table": {"keep": "later"}},
            "--keep (from [tool.stonks-sandbox] key 'keep'): 'later' is not one of never, "
            "on-failure, always.",
        ),
        (
            {"cli": {"backend": "docker"}},
            "--sandbox-backend (from option --sandbox-backend): 'docker' is not one of local, "
            "kubernetes, attach.",
        ),
        (
            {"env": {"STONKS_SANDBOX_TIMEOUT": "soon"}},
            "--sandbox-timeout (from environment variable STONKS_SANDBOX_TIMEOUT): 'soon' is "
            "not a number of seconds.",
        ),
        (
            {"table": {"timeout": 0}},
            "--sandbox-timeout (from [tool.stonks-sandbox] key 'timeout'): 0 must be greater",
        ),
        (
            {"ini": {"memory-interval": "-1"}},
            "--sandbox-memory-interval (from ini option sandbox_memory_interval): '-1' must be",
        ),
        (
            {"env": {"STONKS_SANDBOX_ENFORCE_BUDGETS": "perhaps"}},
            "--sandbox-enforce-budgets (from environment variable "
            "STONKS_SANDBOX_ENFORCE_BUDGETS): 'perhaps' is not a boolean",
        ),
        (
            {"env": {"STONKS_SANDBOX": "maybe"}},
            "--sandbox (from environment variable STONKS_SANDBOX): 'maybe' is not a boolean",
        ),
        (
            {"cli": {"run-id": "Bad_ID"}},
            "--run-id (from option --run-id): 'Bad_ID' is not a valid run id",
        ),
        (
            {"env": {"STONKS_SANDBOX_NAMESPACE": "Not-OK"}},
            "--namespace (from environment variable STONKS_SANDBOX_NAMESPACE): 'Not-OK' is not "
            "a valid Kubernetes namespace name",
        ),
        ({"cli": {"backend": "kubernetes"}}, "--image-tag: the kubernetes backend needs the tag"),
        (
            {"env": {"STONKS_SANDBOX_EXISTING_NAMESPACE": "1"}},
            "--sandbox-existing-namespace: name the namespace to deploy into with --namespace",
        ),
    ],
)
def test_option_errors_name_option_and_source(kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(OptionError) as caught:
        _resolve(**kwargs)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("run_id", "valid"),
    [
        ("a", True),
        ("ci-42", True),
        ("0123456789abcdefghij0123456789", True),  # 30 characters
        ("0123456789abcdefghij01234567890", False),  # 31
        ("Abc", False),
        ("-abc", False),
        ("abc-", False),
        ("a_b", False),
        ("a.b", False),
        ("", False),
    ],
)
def test_run_id_validation(run_id: str, valid: bool) -> None:
    if valid:
        assert _resolve(cli={"run-id": run_id}).run_id == run_id
    else:
        with pytest.raises(OptionError, match="is not a valid run id"):
            _resolve(cli={"run-id": run_id})


def test_generated_run_ids_are_valid_and_unique() -> None:
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(RUN_ID_PATTERN.match(run_id) for run_id in ids)


# --- project.parse_project ----------------------------------------------------------------------
GOOD_SERVICE = {"command": ["{python}", "app.py"]}


def test_parse_project_resolves_paths_and_services(tmp_path: Path) -> None:
    project = parse_project(
        {
            "migrations": "db/migrations",
            "buckets": ["b1"],
            "ports": {"postgres": 15432},
            "keep": "always",
            "services": {"api": {**GOOD_SERVICE, "cwd": "svc", "client": "api_client"}},
            "service-env": {"A": "{api_key}"},
        },
        root=tmp_path,
    )
    assert project.migrations == tmp_path / "db" / "migrations"
    assert project.seeds is None
    assert project.buckets == ("b1",)
    assert project.ports == {"postgres": 15432}
    assert project.options == {"keep": "always"}
    api = project.service("api")
    assert (api.cwd, api.client, api.health, api.port_env) == (
        tmp_path / "svc", "api_client", "/health", "PORT",
    )  # fmt: skip
    assert project.service_env == {"A": "{api_key}"}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"migrations": 3}, "'migrations' must be a path string."),
        ({"services": ["api"]}, "'services' must be a table of tables."),
        ({"services": {"api": "run"}}, "service 'api' must be a table."),
        ({"services": {"api": {}}}, "service 'api' needs exactly one of 'command' and 'app'"),
        ({"services": {"api": {"command": []}}}, "service 'api' needs 'command'"),
        ({"services": {"postgres": GOOD_SERVICE}}, "'postgres' is an infrastructure component"),
        ({"buckets": "b1"}, "'buckets' must be a list of bucket names."),
        ({"ports": {"postgres": "15432"}}, "'ports' must map components to port numbers."),
        ({"ports": {"postgres": 70000}}, "'ports' must map components to port numbers."),
        ({"service-env": ["A=1"]}, "'service-env' must be a table of strings."),
        ({"binaries": "postgres"}, "'binaries' must be a table of strings."),
        (
            {"services": {"api": {**GOOD_SERVICE, "env": "A=1"}}},
            "'services.api.env' must be a table of strings.",
        ),
    ],
)
def test_parse_project_errors_name_the_key(table: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_project(table, root=Path("/p"), source="/p/pyproject.toml")
    text = caught.value.explain()
    assert text.startswith("configuration failed for [tool.stonks-sandbox] in /p/pyproject.toml:")
    assert expected in text


# --- usage errors end the inner run before anything is provisioned -----------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--sandbox", "--keep", "sometimes"], "ERROR: --keep (from option --keep): 'sometimes'*"),
        (["--sandbox", "--run-id", "Bad_ID"], "ERROR: --run-id (from option --run-id): 'Bad_ID'*"),
        (
            ["--sandbox", "--sandbox-timeout", "never"],
            "ERROR: --sandbox-timeout (from option --sandbox-timeout): 'never' is not a number*",
        ),
        (
            ["--sandbox", "--sandbox-backend", "docker"],
            "ERROR: --sandbox-backend (from option --sandbox-backend): 'docker' is not one of*",
        ),
    ],
)
def test_usage_errors_for_bad_options(inner: Inner, args: list[str], expected: str) -> None:
    inner.tests(test_inner="def test_x(sandbox):\n    pass\n")
    result = inner.pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])
    assert not inner.results_path.exists()
    assert run_dirs(inner.base) == set()


def test_usage_error_for_a_bad_project_table(inner: Inner) -> None:
    inner.configure(ports={"postgres": 70000})
    inner.tests(test_inner="def test_x(sandbox):\n    pass\n")
    result = inner.pytester.runpytest_inprocess("-p", "no:cacheprovider", "--sandbox")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: configuration failed for [[]tool.stonks-sandbox[]] in "
            f"{inner.path / 'pyproject.toml'}: 'ports' must map components to port numbers.*"
        ]
    )


def test_usage_error_from_the_environment(inner: Inner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STONKS_SANDBOX_KEEP", "forever")
    inner.tests(test_inner="def test_x(sandbox):\n    pass\n")
    result = inner.pytester.runpytest_inprocess("-p", "no:cacheprovider", "--sandbox")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --keep (from environment variable STONKS_SANDBOX_KEEP): 'forever'*"]
    )
