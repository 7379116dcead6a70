"""Measurement: HDR latency histograms per route, the timing transport, route templates, the
memory sampler, the bounded load runner, the stage clock and the speed budgets. Plain Python."""
