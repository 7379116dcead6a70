"""Settings: the one option table, the `[tool.stonks-sandbox]` project table, `{placeholder}`
templates, and the frozen SandboxConfig resolved from them (CLI > env > ini > table > default)."""
