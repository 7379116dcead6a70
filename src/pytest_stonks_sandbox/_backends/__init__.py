"""Backends behind one Protocol: local processes, a Kubernetes namespace, or a kept sandbox
(attach); the factory that builds one from the config; probes and parallel waits they share."""
