"""The customer-360 view, above the domains: it reads from many of them, none reads from it."""
