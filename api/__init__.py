"""The read-only JSON API (`/api/v1/...`), one Flask blueprint per version."""
