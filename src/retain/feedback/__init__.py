"""Customer feedback: surveys, reviews and mentions, sentiment and aspects, follow-ups, regret."""
