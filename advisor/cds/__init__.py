"""The CDS Hooks 2.0 service (`advisor serve`): app.py (FastAPI endpoints), context.py (prefetch
and FHIR-server fetch), cards.py (advice -> cards), auth.py (optional JWT check), reports.py
(stateless report links). Needs the `serve` extra."""
