"""Retain: open-source customer retention."""
