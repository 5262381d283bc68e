"""Pulling sources into the store: connectors, validation, quarantine, idempotent upserts, the scheduler."""
