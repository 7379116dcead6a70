"""The pytest glue, and the only layer that imports pytest: the entry point (options, hooks),
the lifecycle session, the fixtures and clients, the xdist bridge and its fault channel."""
