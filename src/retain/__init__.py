"""Retain: open-source customer retention."""

__version__ = "0.1.0"
