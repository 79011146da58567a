"""Who may do what: users, API keys, roles, sessions and the audit log."""
