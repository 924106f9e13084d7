"""Experiments over the engine: seed ensembles, sweeps and their executors, sensitivity,
validation, ablation, calibration, comparisons and scores."""
