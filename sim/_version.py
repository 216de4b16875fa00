"""The package's version, below every wing so that any of them may stamp it on what it writes."""

__version__ = "0.1.0"
