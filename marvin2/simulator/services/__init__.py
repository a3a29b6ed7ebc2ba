"""Services: the rules of each API area; the thin modules in ``apis/`` read parameters, call these and render."""
