"""The Kubernetes API proof and the Kubernetes backend on it.

A package, so its modules (conftest.py above all) have names of their own next to the other test
directories' when mypy checks them all at once; its modules import each other relatively.
"""
