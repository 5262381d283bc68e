"""KPI snapshots: a scope's KPI frame over a period frozen with its provenance, stored, listed, exported.

`scope.py` parses and checks what a caller asks for, `build.py` freezes what the KPI layer says, `store.py`
keeps snapshots and the files rendered from them, `schedule.py` makes them on a schedule with retention.
"""
