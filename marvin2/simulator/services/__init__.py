"""Services: the rules of each API area (API modules read parameters, call these, render)."""
