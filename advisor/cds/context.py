"""The patient's FHIR data for one hook call: from prefetch, or fetched from the EHR's FHIR server.

The prefetch templates ask for the Patient, the imatinib-relevant MedicationRequests, recent
laboratory Observations of the analytes the advisor reads, Conditions and AdverseEvents.
Whatever the EHR did not prefetch is fetched with the hook's fhirAuthorization (bearer token);
the results become one collection Bundle for the FHIR reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..fhir.codes import LAB_LOINC, LOINC, WEIGHT_LOINC

_CODES = ",".join(f"{LOINC}|{c}" for c in (*LAB_LOINC, *WEIGHT_LOINC))
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active,on-hold,completed,stopped",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&status=active,on-hold,intended,completed,stopped",
    "labs": "Observation?patient={{context.patientId}}&code=" + _CODES + "&_sort=-date&_count=200",
    "conditions": "Condition?patient={{context.patientId}}",
    "adverseEvents": "AdverseEvent?subject={{context.patientId}}",
}
MAX_PAGES = 5  # a search is followed through at most this many `next` pages
_TOKEN = re.compile(r"\{\{\s*context\.(\w+)\s*\}\}")


class ContextError(Exception):
    """The data cannot be had: status is the HTTP status to answer with (400, 412, 502)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def fill(template: str, context: Mapping[str, Any]) -> str:
    def value(m: re.Match) -> str:
        v = context.get(m.group(1))
        if not isinstance(v, str) or not v:
            raise ContextError(400, f"the prefetch template needs context.{m.group(1)}")
        return v

    return _TOKEN.sub(value, template)


def _resources(key: str, value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise ContextError(400, f"prefetch.{key} must be a FHIR resource or Bundle (an object with resourceType)")
    if value["resourceType"] == "Bundle":
        entries = value.get("entry") or []
        if not isinstance(entries, list):
            raise ContextError(400, f"prefetch.{key}.entry must be a list")
        out = []
        for i, e in enumerate(entries):
            r = e.get("resource") if isinstance(e, dict) else None
            if not isinstance(r, dict) or not isinstance(r.get("resourceType"), str):
                raise ContextError(400, f"prefetch.{key}.entry[{i}] has no resource with a resourceType")
            out.append(r)
        return out
    if value["resourceType"] == "OperationOutcome":  # the EHR could not prefetch: fetch or go without
        return []
    return [value]


def missing_keys(prefetch: Mapping[str, Any] | None) -> list[str]:
    given = prefetch or {}
    return [k for k in PREFETCH if given.get(k) is None]


def allowed_server(url: str, allow: tuple[str, ...]) -> bool:
    return not allow or any(url.startswith(prefix) for prefix in allow)


async def fetch(server: str, query: str, token: str | None, client) -> list[dict]:
    """GET a read or search from the FHIR server, following `next` links; errors are ContextErrors."""
    import httpx

    url = server.rstrip("/") + "/" + query
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    out: list[dict] = []
    for _ in range(MAX_PAGES):
        try:
            resp = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ContextError(502, f"the FHIR server could not be reached for {query.split('?')[0]}: {type(exc).__name__}") from None
        if resp.status_code == 404 and "?" not in query:
            return out  # a read of a resource that does not exist: nothing to add
        if resp.status_code != 200:
            raise ContextError(502, f"the FHIR server answered {resp.status_code} for {query.split('?')[0]}")
        try:
            body = resp.json()
        except ValueError:
            raise ContextError(502, f"the FHIR server's answer for {query.split('?')[0]} is not JSON") from None
        out.extend(_resources(query.split("?")[0], body))
        nxt = [link.get("url") for link in body.get("link") or () if isinstance(link, dict) and link.get("relation") == "next"]
        if not nxt or not isinstance(nxt[0], str) or not allowed_server(nxt[0], (server.rstrip("/"),)):
            return out
        url = nxt[0]
    return out


async def gather(prefetch: Mapping[str, Any] | None, context: Mapping[str, Any], server: str | None,
                 token: str | None, client, allow: tuple[str, ...] = ()) -> dict:
    """One collection Bundle of everything prefetched or fetched for the patient."""
    resources: list[dict] = []
    for key, value in (prefetch or {}).items():
        if key in PREFETCH:
            resources.extend(_resources(key, value))
    missing = missing_keys(prefetch)
    if missing:
        if server is None:
            if len(missing) == len(PREFETCH):
                raise ContextError(412, "no prefetch and no fhirServer: the service has no data to read "
                                        f"(prefetch keys: {', '.join(PREFETCH)})")
        elif not allowed_server(server, allow):
            raise ContextError(400, "fhirServer is not one this service is configured to query")
        else:
            for key in missing:
                resources.extend(await fetch(server, fill(PREFETCH[key], context), token, client))
    unique: dict[tuple, dict] = {}
    for r in resources:
        rid = r.get("id")
        unique[(r["resourceType"], rid) if isinstance(rid, str) else (r["resourceType"], id(r))] = r
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in unique.values()]}
