"""KPI definitions, targets, the working-day calendar; reads the store's rollups, never raw records."""
