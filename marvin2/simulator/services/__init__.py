"""Services: the rules of each API area (the apis modules only read parameters, call these and render)."""
