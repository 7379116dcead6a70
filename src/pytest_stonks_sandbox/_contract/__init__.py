"""The results contract: a pure builder from the run's facts, the JSON Schema and its
validation, the terminal summary, and the contract of a run that never started."""
