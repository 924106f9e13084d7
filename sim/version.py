"""The package's version, a leaf every layer may read (the package root re-exports it)."""

__version__ = "0.1.0"
