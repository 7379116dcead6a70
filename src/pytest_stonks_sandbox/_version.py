"""The plugin's version (one place; the contract records it)."""

__version__ = "0.1.0"
