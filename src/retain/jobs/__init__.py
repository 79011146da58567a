"""The scheduler, above the domains: the worker's loop and every domain's periodic job."""
