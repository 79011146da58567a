"""The four roles and what each may do; every route names the roles it admits."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """admin runs Retain; analyst works with data; agent serves customers; viewer reads."""

    admin = "admin"
    analyst = "analyst"
    agent = "agent"
    viewer = "viewer"


# Aggregated figures (metrics, cohorts, lifetime distribution): every role.
READ_AGGREGATES = frozenset(Role)
# A single customer's data (personal data): everyone who works with customers.
READ_CUSTOMERS = frozenset({Role.admin, Role.analyst, Role.agent})
# Acting for one customer: loyalty points and rewards, closing a success task.
SERVE_CUSTOMERS = frozenset({Role.admin, Role.analyst, Role.agent})
# Model fits and other work that changes data or costs compute.
ANALYSE = frozenset({Role.admin, Role.analyst})
# Writing facts (event intake from a shop or CRM).
WRITE_EVENTS = frozenset({Role.admin, Role.analyst})
# Users, keys and the audit log.
ADMINISTER = frozenset({Role.admin})
