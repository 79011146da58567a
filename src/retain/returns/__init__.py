"""Returns and refunds: portal, policy, workflow, store credit, shop instructions, insight."""
