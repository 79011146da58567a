"""Customer profiles: who a customer is and how to reach them."""
