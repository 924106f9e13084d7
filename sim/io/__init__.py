"""Records and storage: tidy tables of finished runs and result folders with provenance."""
