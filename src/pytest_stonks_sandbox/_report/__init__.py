"""The HTML report: one self-contained page made from a results contract (schema 1.0 or 2.0)."""
