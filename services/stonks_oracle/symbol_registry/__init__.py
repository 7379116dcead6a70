"""The symbol-registry service."""
