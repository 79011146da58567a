"""Loyalty and referral programmes over an append-only points ledger."""
