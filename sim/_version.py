"""The package's version, below every wing so that any of them may stamp it on what it writes."""

__version__ = "0.1.0"
"""The package's version: stamped on every results folder (``meta.json``), report and staffing answer."""
