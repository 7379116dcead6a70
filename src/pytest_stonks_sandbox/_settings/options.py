"""Every option of the plugin, declared once.

`OPTIONS` is the one table: each row names the option in every source it can come from (command
line, environment, ini file, `[tool.stonks-sandbox]`), its kind, its default and its help. pytest's
`addoption`/`addini`, the precedence resolver (CLI > environment > ini > table > default) and the
README's option table are all made from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

BackendName = Literal["local", "kubernetes", "attach"]
KeepPolicy = Literal["never", "on-failure", "always"]
ArtifactsPolicy = Literal["on-failure", "always", "never"]
BACKENDS: tuple[BackendName, ...] = get_args(BackendName)
KEEP_POLICIES: tuple[KeepPolicy, ...] = get_args(KeepPolicy)
ARTIFACTS_POLICIES: tuple[ArtifactsPolicy, ...] = get_args(ArtifactsPolicy)
DEFAULT_STATE_FILE = ".stonks-sandbox/state.json"
DEFAULT_RESULTS = "inttest-results.json"
DEFAULT_HTML = "inttest-report.html"

#: How an option is given: a switch, a value, a value given or not (`--sandbox-reuse [FILE]`).
Kind = Literal["flag", "value", "optional"]
#: What a value is: resolved and checked by `config.resolve` according to this.
ValueType = Literal[
    "bool", "text", "path", "seconds", "backend", "keep", "run-id", "namespace", "bool-or-path",
    "ratio", "milliseconds", "count", "artifacts",
]  # fmt: skip


@dataclass(frozen=True)
class Option:
    """One option and its spelling in each source (None: that source cannot set it)."""

    name: str
    flag: str
    env: str | None
    ini: str | None
    key: str | None
    type: ValueType
    help: str
    default: Any = None
    kubernetes_default: Any = None
    default_doc: str | None = None
    kind: Kind = "value"
    metavar: str | None = None

    def default_for(self, backend: str) -> Any:
        """The default value, which may differ on the kubernetes backend."""
        if backend == "kubernetes" and self.kubernetes_default is not None:
            return self.kubernetes_default
        return self.default

    @property
    def documented_default(self) -> str:
        """The default as the README and `--help` show it."""
        if self.default_doc is not None:
            return self.default_doc
        if self.type == "bool":
            return "off"
        text = "" if self.default is None else f"{self.default:g}" if isinstance(
            self.default, float) else str(self.default)  # fmt: skip
        if self.kubernetes_default is not None:
            text += f"; {self.kubernetes_default:g} on kubernetes"
        return text

    @property
    def dest(self) -> str:
        """The attribute of pytest's option namespace that holds the command-line value."""
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option("sandbox", "--sandbox", "STONKS_SANDBOX", None, None, "bool",
           "provision the sandbox for this run, seed it, run the tests, tear it down",
           default=False, kind="flag"),
    Option("backend", "--sandbox-backend", "STONKS_SANDBOX_BACKEND", "sandbox_backend", "backend",
           "backend", f"where the sandbox runs: {', '.join(BACKENDS)}", default="local",
           metavar="NAME"),
    Option("image-tag", "--image-tag", "STONKS_SANDBOX_IMAGE_TAG", "sandbox_image_tag",
           "image-tag", "text", "tag of the service images (kubernetes backend)", default="",
           metavar="TAG"),
    Option("image-registry", "--sandbox-image-registry", "STONKS_SANDBOX_IMAGE_REGISTRY",
           "sandbox_image_registry", "image-registry", "text",
           "registry put in front of the service images, e.g. localhost for images imported "
           "into the node's containerd (kubernetes backend)", default="", default_doc="none",
           metavar="REGISTRY"),
    Option("manifests", "--sandbox-manifests", "STONKS_SANDBOX_MANIFESTS", "sandbox_manifests",
           "manifests", "path",
           "directory of the infra.yaml and service.yaml to apply (kubernetes backend)",
           default="", default_doc="k8s_manifests of [tool.stonks-sandbox]", metavar="DIR"),
    Option("namespace", "--namespace", "STONKS_SANDBOX_NAMESPACE", "sandbox_namespace",
           "namespace", "namespace", "namespace of the sandbox",
           default_doc="stonks-inttest-<run-id>", metavar="NAME"),
    Option("existing-namespace", "--sandbox-existing-namespace",
           "STONKS_SANDBOX_EXISTING_NAMESPACE", "sandbox_existing_namespace",
           "existing-namespace", "bool",
           "deploy into the namespace --namespace names, made beforehand (e.g. the runner "
           "Job's own): needs no cluster-wide permission; teardown deletes the sandbox's "
           "objects in it, not the namespace (kubernetes backend)", default=False, kind="flag"),
    Option("run-id", "--run-id", "STONKS_SANDBOX_RUN_ID", None, None, "run-id",
           "run id (lowercase letters, digits, dashes)", default_doc="time + random",
           metavar="ID"),
    Option("keep", "--keep", "STONKS_SANDBOX_KEEP", "sandbox_keep", "keep", "keep",
           f"leave the sandbox running: {', '.join(KEEP_POLICIES)}", default="never",
           metavar="WHEN"),
    Option("skip-teardown", "--skip-teardown", None, None, None, "bool",
           "same as --keep always", default=False, kind="flag"),
    Option("sandbox-reuse", "--sandbox-reuse", "STONKS_SANDBOX_REUSE", None, None,
           "bool-or-path",
           f"attach to a kept sandbox through its state file (default {DEFAULT_STATE_FILE}; "
           "the environment takes 1 or a path)", default_doc="off", kind="optional",
           metavar="STATE_FILE"),
    Option("reseed", "--sandbox-reseed", "STONKS_SANDBOX_RESEED", None, None, "bool",
           "with --sandbox-reuse: seed the kept sandbox again (it is seeded again anyway when "
           "its seed files or objects changed since it was kept)", default=False, kind="flag"),
    Option("state-file", "--sandbox-state-file", "STONKS_SANDBOX_STATE_FILE",
           "sandbox_state_file", "state-file", "path", "where --keep writes the sandbox state",
           default=DEFAULT_STATE_FILE, metavar="PATH"),
    Option("results", "--results", "STONKS_SANDBOX_RESULTS", "sandbox_results", "results",
           "path",
           "the results contract; write it with '=' (--results=PATH): pytest takes a separate "
           "value that names an existing file into its rootdir choice",
           default=DEFAULT_RESULTS, metavar="PATH"),
    Option("html", "--sandbox-html", "STONKS_SANDBOX_HTML", "sandbox_html", "html",
           "bool-or-path",
           f"write the HTML report of the contract too, on every path the contract is written "
           f"(no value: {DEFAULT_HTML} beside the contract; the environment, ini and table "
           "take 1 or a path)", default_doc="off", kind="optional", metavar="PATH"),
    # Pulling images and scheduling pods takes longer than starting local processes.
    Option("timeout", "--sandbox-timeout", "STONKS_SANDBOX_TIMEOUT", "sandbox_timeout", "timeout",
           "seconds", "readiness timeout per component", default=60.0,
           kubernetes_default=300.0, metavar="SECONDS"),
    # metrics-server has a new figure every 15 s; sampling faster only adds API calls.
    Option("memory-interval", "--sandbox-memory-interval", "STONKS_SANDBOX_MEMORY_INTERVAL",
           "sandbox_memory_interval", "memory-interval", "seconds", "memory sampling interval",
           default=1.0, kubernetes_default=5.0, metavar="SECONDS"),
    Option("enforce-budgets", "--sandbox-enforce-budgets", "STONKS_SANDBOX_ENFORCE_BUDGETS",
           "sandbox_enforce_budgets", "enforce-budgets", "bool",
           "a breached budget (seed < 30 s, API validation < 60 s, pipeline < 10 min, "
           "load P95 < 2 s, load errors < 5 %, and [tool.stonks-sandbox.budgets]) or a "
           "regression against --sandbox-baseline fails the run", default=False, kind="flag"),
    Option("baseline", "--sandbox-baseline", "STONKS_SANDBOX_BASELINE", "sandbox_baseline",
           "baseline", "path",
           "an earlier contract to compare this run with: routes' p95/p99, stage seconds, "
           "memory peaks (regressions fail the run with --sandbox-enforce-budgets)",
           default="", default_doc="none", metavar="CONTRACT"),
    Option("regression-tolerance", "--sandbox-regression-tolerance",
           "STONKS_SANDBOX_REGRESSION_TOLERANCE", "sandbox_regression_tolerance",
           "regression-tolerance", "ratio",
           "how much worse than the baseline a figure may be (0.25: 25 %)", default=0.25,
           metavar="RATIO"),
    Option("regression-floor", "--sandbox-regression-floor", "STONKS_SANDBOX_REGRESSION_FLOOR",
           "sandbox_regression_floor", "regression-floor", "milliseconds",
           "latency differences at most this many ms are never regressions", default=2.0,
           metavar="MS"),
    Option("regression-min-samples", "--sandbox-regression-min-samples",
           "STONKS_SANDBOX_REGRESSION_MIN_SAMPLES", "sandbox_regression_min_samples",
           "regression-min-samples", "count",
           "a route with fewer requests on either side is inconclusive, never a regression",
           default=30, metavar="N"),
    Option("browser", "--sandbox-browser", "STONKS_SANDBOX_BROWSER", "sandbox_browser", "browser",
           "text", "the Chromium binary that checks the frontend pages",
           default="", default_doc="chromium-headless-shell, else chromium, on PATH",
           metavar="PATH"),
    Option("artifacts", "--sandbox-artifacts", "STONKS_SANDBOX_ARTIFACTS", "sandbox_artifacts",
           "artifacts", "artifacts",
           "when to keep the failure bundle (every component's logs, redacted) in "
           f"inttest-artifacts/sandbox beside the contract: {', '.join(ARTIFACTS_POLICIES)}",
           default="on-failure", metavar="WHEN"),
    Option("sandbox-gc", "--sandbox-gc", None, None, None, "bool",
           "remove every sandbox left behind by killed or kept runs, then exit (with "
           "--sandbox-backend=kubernetes: this host's sandbox namespaces of ended runs too)",
           default=False, kind="flag"),
)  # fmt: skip

BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}
TABLE_KEYS = frozenset(option.key for option in OPTIONS if option.key)


def option(name: str) -> Option:
    """The row of `name`; KeyError names the options that exist."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no option {name!r} (options: {', '.join(BY_NAME)})") from None


def argparse_kwargs(row: Option) -> dict[str, Any]:
    """Keyword arguments of `parser.addoption` for one row (None default: "not given")."""
    kwargs: dict[str, Any] = {"dest": row.dest, "default": None, "help": _help(row)}
    if row.kind == "flag":
        kwargs["action"] = "store_true"
    else:
        kwargs["metavar"] = row.metavar
    if row.kind == "optional":
        kwargs.update(nargs="?", const="")
    return kwargs


def _help(row: Option) -> str:
    shown = row.documented_default
    default = f" (default {shown})" if shown and row.kind != "flag" else ""
    return f"{row.help}{default}.".replace("%", "%%")  # argparse formats help with %


def markdown_table() -> str:
    """The README's option table, made from OPTIONS (a test keeps the README equal to it)."""
    lines = [
        "| option | environment | ini / `[tool.stonks-sandbox]` key | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for row in OPTIONS:
        usage = {
            "flag": row.flag,
            "value": f"{row.flag}={row.metavar}",
            "optional": f"{row.flag}[={row.metavar}]",
        }[row.kind]
        keys = " / ".join(f"`{k}`" for k in (row.ini, row.key) if k) or "-"
        env = f"`{row.env}`" if row.env else "-"
        default = f"`{row.documented_default}`" if row.documented_default else "-"
        lines.append(f"| `{usage}` | {env} | {keys} | {default} | {row.help} |")
    return "\n".join(lines)
