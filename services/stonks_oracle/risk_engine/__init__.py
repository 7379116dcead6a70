"""The risk-engine service."""
