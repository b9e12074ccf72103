"""Input readers: one document, sniffed, read by the first reader that claims it.

A state file (YAML or JSON, the public contract) and a FHIR R4 Bundle both end as a
PatientState; a reader also says where each value came from (provenance) and what it
could not map (warnings), which `with_reading` carries into the advice's trace and warnings.
New input formats register a Reader here instead of growing the state loader.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .advice import Advice, TraceEvent
from .errors import InputError, Location
from .state import PatientState, state_from_data, state_from_document
from .yamlio import Document, read_document


@dataclass(frozen=True)
class Reading:
    """A validated state and how it was read."""

    state: PatientState
    source: str
    kind: str  # state | fhir-bundle
    provenance: Mapping[str, str] = field(default_factory=dict)  # state path -> resource
    warnings: tuple[str, ...] = ()  # what could not be mapped
    notes: tuple[str, ...] = ()  # assumptions the reader made, stated
    patient_id: str | None = None


@dataclass(frozen=True)
class Reader:
    name: str
    sniff: Callable[[Any], bool]  # does this reader claim the parsed document?
    read: Callable[[Document], Reading]


READERS: list[Reader] = []


def register(reader: Reader) -> None:
    """Add a reader; readers are tried in registration order, the state reader last."""
    READERS.insert(max(0, len(READERS) - 1) if READERS and READERS[-1].name == "state" else len(READERS), reader)


def read_doc(doc: Document) -> Reading:
    for reader in READERS:
        if reader.sniff(doc.data):
            return reader.read(doc)
    raise InputError("no reader for this document", Location(doc.source))  # pragma: no cover - the state reader claims all


def read_input(path: str | os.PathLike) -> Reading:
    """Read a state file or a FHIR Bundle; every failure is an InputError naming file and element."""
    return read_doc(read_document(path))


def with_reading(advice: Advice, reading: Reading) -> Advice:
    """The advice with the reader's warnings, assumptions and provenance added."""
    if reading.kind == "state" and not reading.warnings and not reading.notes:
        return advice
    source = TraceEvent("source", {"kind": reading.kind, "file": reading.source, "fields": dict(reading.provenance),
                                   "notes": list(reading.notes)})
    warnings = tuple(dict.fromkeys(reading.warnings + reading.notes + advice.warnings))
    return dataclasses.replace(advice, warnings=warnings, trace=(source, *advice.trace))


# --------------------------------------------------------------------------- the two readers
def _read_state(doc: Document) -> Reading:
    return Reading(state_from_document(doc), doc.source, "state")


def _is_fhir(data: Any) -> bool:
    # any FHIR resource: a Bundle is read, another resource type is refused by name
    return isinstance(data, dict) and "resourceType" in data


def _read_bundle(doc: Document) -> Reading:
    return reading_from_bundle(doc.data, doc.source)


def reading_from_bundle(bundle: dict, source: str, draft_orders: list[dict] | None = None) -> Reading:
    """A FHIR R4 Bundle mapped and validated as a state; a value the state rejects is
    reported with the resource it came from."""
    try:
        from .fhir import map_bundle
    except ImportError as exc:  # pragma: no cover - the extra is not installed
        raise InputError(f"reading a FHIR Bundle needs the fhir extra (pip install 'imatinib-advisor[fhir]'): {exc}",
                         Location(source)) from None
    try:
        mapped = map_bundle(bundle, source, draft_orders)
    except ImportError as exc:  # fhir.resources missing: imported lazily by the mapping
        raise InputError(f"reading a FHIR Bundle needs the fhir extra (pip install 'imatinib-advisor[fhir]'): {exc}",
                         Location(source)) from None
    mapped_doc = Document(mapped.state, f"{source} (as mapped from FHIR)")
    try:
        state = state_from_data(mapped.state, mapped_doc)
    except InputError as exc:
        raise _blame(exc, mapped.provenance, source) from None
    return Reading(state, source, "fhir-bundle", mapped.provenance, mapped.warnings, mapped.notes, mapped.patient_id)


def _blame(exc: InputError, provenance: Mapping[str, str], source: str) -> InputError:
    """Name the resource behind a state path the validator rejected."""
    path = exc.location.path or ""
    hits = [k for k in provenance if path == k or path.startswith(k + ".") or path.startswith(k + "[") or k.startswith(path + ".")]
    origin = provenance[max(hits, key=len)] if hits else None
    message = f"{exc.message} (from {origin})" if origin else exc.message
    return InputError(message, Location(source, None, path or None), exc.problems)


register(Reader("state", lambda data: True, _read_state))
register(Reader("fhir-bundle", _is_fhir, _read_bundle))
