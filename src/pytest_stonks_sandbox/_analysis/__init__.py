"""Reading contracts: compare a run with a baseline, decide the promotion gate, merge shards."""
