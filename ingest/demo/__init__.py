"""The demo feed: a deterministic, calibrated stand-in for the city's dossier, hotline and document systems.

Everything it produces is demo data and must be labelled as such wherever it is shown (KPIS.md §4).
"""
