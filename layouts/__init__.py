"""One module per page: pure functions that return components. They never query the database;
they take KPI frames and series from metrics/ (through callbacks or the router)."""
