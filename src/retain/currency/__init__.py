"""Exchange rates: money in several currencies reported in one."""
