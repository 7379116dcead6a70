"""The real node of scripts/real-node.sh, for the benchmarks that run on it (as root).

Not a benchmark: bench_real_node, bench_runner_job and bench_kubernetes --real-node import it
(a script's own directory is first on sys.path).
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "real-node.sh"


def script(verb: str, progress: bool = False) -> str:
    """Run `real-node.sh <verb>` and return what it printed on stdout (its progress lines go to
    stderr: shown with `progress`, else dropped)."""
    return subprocess.run(
        [str(SCRIPT), verb], check=True, stdout=subprocess.PIPE,
        stderr=None if progress else subprocess.DEVNULL, text=True, timeout=900,
    ).stdout  # fmt: skip


def node_env() -> dict[str, str]:
    """KUBECONFIG and STONKS_SANDBOX_IMAGE_TAG of the node that is up (`real-node.sh env`)."""
    pairs = (shlex.split(line)[1].split("=", 1) for line in script("env").splitlines())
    return dict(pairs)
