"""Deterministic random holdouts: the same customer always lands in the same group.

A hash of the salt and the customer id is uniform on [0, 1), so the assignment is random with
respect to anything about the customer, reproducible without storing a seed, and stable when a
playbook is re-run or the customer re-enters.
"""

from __future__ import annotations

import hashlib

GLOBAL_SALT = "retain-global-control"


def uniform(salt: str, customer_id: str) -> float:
    """A number on [0, 1) fixed by ``salt`` and ``customer_id``."""
    digest = hashlib.sha256(f"{salt}\x00{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_out(
    *, playbook: str, customer_id: str, fraction: float, global_fraction: float
) -> str | None:
    """``"global"`` for the global control group, ``"playbook"`` for this playbook's holdout."""
    if global_fraction > 0 and uniform(GLOBAL_SALT, customer_id) < global_fraction:
        return "global"
    if fraction > 0 and uniform(f"playbook:{playbook}", customer_id) < fraction:
        return "playbook"
    return None
