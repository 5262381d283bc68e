"""Connector kinds, one module each, behind one interface (`base.Connector`).

A kind registers itself with `@register`; `connector_for(source)` builds the one a source names.
"""
from __future__ import annotations

from ingest.connectors.base import Batch, Connector, connector_for, register  # noqa: F401
from ingest.connectors import demo  # noqa: F401  (registers the demo kind)
