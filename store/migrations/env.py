"""Alembic environment: the URL comes from store.migrate (DATABASE_URL), never from a file."""
from alembic import context

from store.db import engine_for
from store.schema import metadata

config = context.config


def run_migrations_online() -> None:
    engine = engine_for(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        # render_as_batch: SQLite can only ALTER tables by copying them; Alembic's batch mode does that.
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported: run `python cli.py db upgrade`")
run_migrations_online()
