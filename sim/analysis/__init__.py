"""Analyses over runs: validation, calibration, sensitivity, references, ablation,
robustness, predictive checks, comparisons and scores."""
