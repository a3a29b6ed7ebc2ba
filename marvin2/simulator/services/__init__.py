"""The simulator's rules, one module per area; API modules read parameters, call these and render."""
