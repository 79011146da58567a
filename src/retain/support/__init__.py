"""Support desk (tickets, SLAs, CSAT) and the knowledge base with its public help centre."""
