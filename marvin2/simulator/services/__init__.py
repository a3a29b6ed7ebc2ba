"""Services: the simulator's domain logic, which the API modules in ``apis/`` call (see HANDLERS.md)."""
