"""The Kubernetes backend: an ephemeral namespace per run, reached through port-forwards made
with the Kubernetes API (or cluster DNS in-cluster). The client is imported lazily."""
