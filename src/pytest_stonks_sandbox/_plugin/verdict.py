"""The run's verdicts, once its facts are in: budgets, the baseline comparison, the gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from pytest_stonks_sandbox._analysis.compare import Thresholds, compare
from pytest_stonks_sandbox._analysis.gate import CategoryRule, decide
from pytest_stonks_sandbox._contract.builder import (
    EXIT_FAILED,
    EXIT_PASSED,
    RunFacts,
    build_report,
)
from pytest_stonks_sandbox._contract.reader import ContractError, read_contract
from pytest_stonks_sandbox._measure.budgets import (
    ApiValidation,
    breaches,
    evaluate_budgets,
    evaluate_declared,
    run_wide,
)
from pytest_stonks_sandbox._settings.config import SandboxConfig


def read_baseline(cfg: SandboxConfig) -> dict[str, Any] | None:
    """The baseline contract of `--sandbox-baseline`; a usage error when it cannot be read."""
    if cfg.baseline is None:
        return None
    try:
        return read_contract(cfg.baseline)
    except ContractError as exc:
        raise pytest.UsageError(f"--sandbox-baseline: {exc}") from None


def judge(
    cfg: SandboxConfig,
    facts: RunFacts,
    stage_seconds: Mapping[str, float | None],
    validation: ApiValidation,
    baseline: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The contract: `facts` with budgets, comparison and gate; with --sandbox-enforce-budgets a
    breach or a regression turns a passing exit code into 1."""
    specs = cfg.project.budgets
    budgets = evaluate_budgets(stage_seconds, facts.load, run_wide(specs), validation)
    budgets += evaluate_declared(specs, facts.endpoints, facts.memory)
    comparison = None
    if baseline is not None:
        thresholds = Thresholds(
            cfg.regression_tolerance, cfg.regression_floor_ms, cfg.regression_min_samples
        )
        current = {"endpoints": facts.endpoints, "stages": facts.stages, "memory": facts.memory}
        comparison = compare(current, baseline, thresholds, str(cfg.baseline))
    code = facts.exit_code
    failing = breaches(budgets) or (comparison is not None and comparison["regressions"])
    if cfg.enforce_budgets and failing and code == EXIT_PASSED:
        code = EXIT_FAILED
    facts = replace(facts, exit_code=code, budgets=budgets, comparison=comparison)
    rules = [CategoryRule(c.name, c.weight, c.modules) for c in cfg.project.categories]
    gate = decide(build_report(facts), rules, cfg.project.gate_threshold)
    return build_report(replace(facts, gate=gate))
