"""The base of every failure a user can act on: the CLI shows it as one line, never a traceback.

A traceback is for bugs; a busy warehouse, a bad file or a refused value is not one.
"""

from __future__ import annotations


class RetainError(Exception):
    """An expected failure with a message that says what to do; ``exit_code`` for the CLI."""

    exit_code = 2
