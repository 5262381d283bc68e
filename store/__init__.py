"""SQLAlchemy tables, engines, Alembic migrations, bulk writes and the daily rollups."""
