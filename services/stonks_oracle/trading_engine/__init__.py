"""The trading-engine service."""
