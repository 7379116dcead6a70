"""Backends: local processes, Kubernetes, or an already running (kept) sandbox."""
