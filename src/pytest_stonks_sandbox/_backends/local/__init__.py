"""The embedded default backend: real server processes on loopback in a private run directory
(processes, ports, binaries, run directories are its own)."""
