"""FHIR R4 input: a Bundle read as a patient state (mapping.py), from its resources (bundle.py:
validation, references, dates) and medications (medications.py: imatinib, dose, schedule), by
the code tables in codes.py.

fhir.resources is imported only when a Bundle is read, so YAML paths and `advisor --version`
do not pay for it; it comes with the `fhir` extra (`pip install imatinib-advisor[fhir]`).
"""

from __future__ import annotations

from typing import Any

from .mapping import BundleMapping, NotOnImatinib, map_bundle

__all__ = ["BundleMapping", "NotOnImatinib", "map_bundle", "is_bundle"]


def is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"
