"""The only place that knows about geometry: the 168 communes' boundaries, loading, simplification.

Everything else speaks in commune codes (the 5-digit codes of the official 2025 list).
"""
