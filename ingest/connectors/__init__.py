"""Connector kinds, one module each, behind one interface (`base.Connector`).

A kind registers itself with `@register`; `connector_for(source)` builds the one a source names.
"""
from __future__ import annotations

from ingest.connectors.base import Batch, Connector, connector_for, register  # noqa: F401
# Importing a kind's module registers it.
from ingest.connectors import demo, document_counts, dossier_api, file_drop, open311, sql  # noqa: F401
