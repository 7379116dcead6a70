"""The real Kubernetes node of scripts/real-node.sh: network confinement, cleanliness, the suite on
real pods. A package, so that its conftest.py does not clash with the other test directories'."""
