"""The CDS Hooks service, started as a real process on a loopback port (issue 14)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import jwt
import pytest

from advisor.cds.cards import summary
from advisor.evaluate import evaluate, get_rulebook
from advisor.readers import reading_from_bundle
from cds_server import FhirStub, service
from fhir_resources import bundle, comed, condition, imatinib_order, lab, patient

HOOK = "/cds-services/imatinib-toxicity"


def prefetch_of(pid: str, *, anc: float = 0.8, platelets: float = 160, dose: int = 400, on_imatinib: bool = True) -> dict:
    meds = [imatinib_order(dose, pid=pid, rid=f"mr-{pid}")] if on_imatinib else [comed("furosemide", 40, pid=pid)]
    return {
        "patient": patient(pid),
        "medications": bundle(*[m for m in meds if m["resourceType"] == "MedicationRequest"], kind="searchset"),
        "medicationStatements": bundle(*[m for m in meds if m["resourceType"] == "MedicationStatement"], kind="searchset"),
        "labs": bundle(lab("751-8", anc, "10*9/L", pid=pid), lab("777-3", platelets, "10*9/L", pid=pid), kind="searchset"),
        "conditions": bundle(kind="searchset"),
        "adverseEvents": bundle(kind="searchset"),
    }


def call(pid: str = "p1", prefetch: dict | None = None, hook: str = "patient-view", **extra) -> dict:
    body = {"hook": hook, "hookInstance": f"hi-{pid}", "context": {"patientId": pid, "userId": "Practitioner/7"}, **extra}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def expected_summary(prefetch: dict) -> str:
    merged = bundle(*[r for v in prefetch.values() for r in ([v] if v["resourceType"] != "Bundle" else [e["resource"] for e in v["entry"]])])
    return summary(evaluate(reading_from_bundle(merged, "<expected>").state, get_rulebook()))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with service(tmp_path_factory.mktemp("serve"), workers=2) as (base, log):
        yield base, log


def test_discovery_lists_the_service_for_both_hooks_with_prefetch(server):
    base, _ = server
    services = httpx.get(f"{base}/cds-services").json()["services"]
    assert {(s["id"], s["hook"]) for s in services} == {("imatinib-toxicity", "patient-view"), ("imatinib-toxicity-order-sign", "order-sign")}
    for s in services:
        assert {"patient", "medications", "labs", "conditions", "adverseEvents"} <= set(s["prefetch"])
        assert "{{context.patientId}}" in s["prefetch"]["patient"]


def test_hook_with_prefetch_answers_a_card_with_decision_suggestion_and_report(server):
    base, _ = server
    pre = prefetch_of("p1", anc=0.8)
    resp = httpx.post(f"{base}{HOOK}", json=call("p1", pre))
    assert resp.status_code == 200
    card = resp.json()["cards"][0]
    assert card["summary"] == expected_summary(pre) and len(card["summary"]) < 140
    assert card["summary"].startswith("Imatinib: interrupt") and card["indicator"] == "critical"
    assert "neutrophil\\_count\\_decreased | 3" in card["detail"] and "Assumptions" in card["detail"]
    assert card["source"]["label"]
    action = card["suggestions"][0]["actions"][0]
    assert action["type"] == "update" and action["resource"]["id"] == "mr-p1" and action["resource"]["status"] == "on-hold"
    report = httpx.get(card["links"][0]["url"])
    assert report.status_code == 200 and "interrupt" in report.text and "Observation/" in report.text
    tampered = card["links"][0]["url"][:-6] + "AAAAAA"
    assert httpx.get(tampered).status_code == 404


def test_a_dose_change_is_suggested_as_a_new_dose_with_a_warning_indicator(server):
    base, _ = server
    # on hold after a grade 3 ALT rise that has resolved, liver tests normal: the label restarts lower
    # (a first neutropenia would restart at the same dose: no dose change to suggest)
    pre = prefetch_of("p2", anc=2.0, platelets=150)
    pre["labs"] = bundle(lab("751-8", 2.0, "10*9/L", pid="p2"), lab("777-3", 150, "10*9/L", pid="p2"),
                         lab("1742-6", 30, "U/L", high=40, pid="p2"), lab("1975-2", 0.8, "mg/dL", high=1.2, pid="p2"), kind="searchset")
    pre["medications"] = bundle(imatinib_order(400, status="on-hold", pid="p2", rid="mr-p2"), kind="searchset")
    pre["conditions"] = bundle(condition("Alanine aminotransferase increased", 3, status="resolved", pid="p2"), kind="searchset")
    card = httpx.post(f"{base}{HOOK}", json=call("p2", pre)).json()["cards"][0]
    assert card["summary"] == expected_summary(pre) == "Imatinib: restart at 300 mg/d"
    assert card["indicator"] == "warning"
    order = card["suggestions"][0]["actions"][0]["resource"]
    assert order["id"] == "mr-p2" and order["status"] == "active"
    assert order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 300


def test_hook_without_prefetch_fetches_from_the_fhir_server_with_the_token(server):
    base, _ = server
    pre = prefetch_of("p3", anc=0.4)
    resources = [r for v in pre.values() for r in ([v] if v["resourceType"] != "Bundle" else [e["resource"] for e in v["entry"]])]
    with FhirStub(resources) as stub:
        body = call("p3", None, fhirServer=stub.url, fhirAuthorization={"access_token": "tok-123", "token_type": "Bearer",
                                                                         "expires_in": 300, "scope": "patient/*.read", "subject": "x"})
        resp = httpx.post(f"{base}{HOOK}", json=body)
        partial = httpx.post(f"{base}{HOOK}", json={**body, "prefetch": {"patient": pre["patient"]}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["cards"][0]["summary"] == expected_summary(pre)
    assert partial.json()["cards"][0]["summary"] == expected_summary(pre)
    paths = [p for p, _ in stub.requests]
    assert any(p.startswith("/fhir/Patient/p3") for p in paths) and any(p.startswith("/fhir/Observation?patient=p3") for p in paths)
    assert {auth for _, auth in stub.requests} == {"Bearer tok-123"}
    assert sum(p.startswith("/fhir/Patient/") for p in paths) == 1  # the partial call fetched only what was missing


def test_failing_fhir_server_is_a_502_not_a_crash(server):
    base, _ = server
    body = call("p4", None, fhirServer="http://127.0.0.1:9/fhir", fhirAuthorization={"access_token": "t"})
    resp = httpx.post(f"{base}{HOOK}", json=body)
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "fhir_server_error"


def test_patient_not_on_imatinib_gets_no_cards(server):
    base, _ = server
    resp = httpx.post(f"{base}{HOOK}", json=call("p5", prefetch_of("p5", on_imatinib=False)))
    assert resp.status_code == 200 and resp.json() == {"cards": []}


def test_order_sign_with_a_draft_imatinib_order(server):
    base, _ = server
    pre = prefetch_of("p6", on_imatinib=False)
    draft = imatinib_order(400, status="draft", pid="p6", rid="draft-1")
    resp = httpx.post(f"{base}/cds-services/imatinib-toxicity-order-sign",
                      json=call("p6", pre, hook="order-sign") | {"context": {"patientId": "p6", "userId": "Practitioner/7",
                                                                            "draftOrders": bundle(draft)}})
    assert resp.status_code == 200 and len(resp.json()["cards"]) == 1


def test_unmappable_record_is_a_card_naming_the_resource(server):
    base, _ = server
    pre = prefetch_of("p7")
    pre["labs"] = bundle(lab("1742-6", 3, "mmol/L", pid="p7", oid="alt-odd"), kind="searchset")
    card = httpx.post(f"{base}{HOOK}", json=call("p7", pre)).json()["cards"][0]
    assert card["indicator"] == "warning" and "Observation/alt-odd" in card["detail"] and "no advice" in card["summary"]


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400),
    (json.dumps({"hook": "patient-view"}).encode(), 400),
    (json.dumps({"hook": "chart-open", "hookInstance": "x", "context": {"patientId": "p"}}).encode(), 400),
    (json.dumps(call("p8", {"patient": {"no": "resourceType"}})).encode(), 400),
    (json.dumps(call("p8", {"labs": {"resourceType": "Bundle", "entry": [{"x": 1}]}})).encode(), 400),
    (json.dumps(call("p8", None)).encode(), 412),
    (json.dumps(call("../etc", None)).encode(), 400),
])
def test_bad_requests_get_cds_shaped_errors(server, body, status):
    base, _ = server
    resp = httpx.post(f"{base}{HOOK}", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == status
    out = resp.json()
    assert out["cards"] == [] and out["error"]["message"] and "Traceback" not in resp.text


def test_unknown_service_is_404(server):
    base, _ = server
    resp = httpx.post(f"{base}/cds-services/nope", json=call("p1", prefetch_of("p1")))
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"


def test_feedback_is_accepted_and_logged_without_patient_data(server):
    base, log = server
    pre = prefetch_of("patient-secret-42")
    card = httpx.post(f"{base}{HOOK}", json=call("patient-secret-42", pre)).json()["cards"][0]
    fb = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2024-06-02T10:00:00Z",
                        "overrideReason": {"reason": {"code": "patient-refused", "system": "http://example.org"}, "userComment": "x"}}]}
    assert httpx.post(f"{base}{HOOK}/feedback", json=fb).status_code == 200
    assert httpx.post(f"{base}{HOOK}/feedback", json={"feedback": []}).status_code == 400
    for _ in range(50):
        text = log.read_text()
        if card["uuid"] in text:
            break
        time.sleep(0.1)
    assert card["uuid"] in text and "patient-refused" in text
    assert "patient-secret-42" not in text


def test_openapi_document_describes_the_hook(server):
    base, _ = server
    doc = httpx.get(f"{base}/openapi.json").json()
    assert "/cds-services/{service_id}" in doc["paths"] and "400" in doc["paths"]["/cds-services/{service_id}"]["post"]["responses"]


def test_hundreds_of_concurrent_patients_each_get_their_own_advice(server):
    """300 requests, 32 at a time, over 2 workers: every answer is its own patient's advice."""
    base, _ = server
    ancs, platelets, doses = (0.3, 0.8, 1.2, 2.5), (20, 60, 160), (300, 400, 600)
    cases = []
    for i in range(300):
        pid = f"cc{i}"
        pre = prefetch_of(pid, anc=ancs[i % 4], platelets=platelets[(i // 4) % 3], dose=doses[(i // 12) % 3])
        cases.append((pid, pre, expected_summary(pre)))
    assert len({s for _, _, s in cases}) >= 4  # the patients' advice differs, so a mix-up would show

    async def run() -> list[tuple[str, dict]]:
        limit = asyncio.Semaphore(32)
        async with httpx.AsyncClient(timeout=60) as client:
            async def one(pid: str, pre: dict) -> tuple[str, dict]:
                async with limit:
                    resp = await client.post(f"{base}{HOOK}", json=call(pid, pre))
                    assert resp.status_code == 200, resp.text
                    return pid, resp.json()
            return await asyncio.gather(*(one(pid, pre) for pid, pre, _ in cases))

    answers = dict(asyncio.run(run()))
    for pid, _, want in cases:
        card = answers[pid]["cards"][0]
        assert card["summary"] == want, pid
        assert f"Patient/{pid}," in card["detail"] or f"Patient/{pid}." in card["detail"]  # ids have no markdown characters
        for sug in card.get("suggestions", ()):
            assert sug["actions"][0]["resource"]["id"] == f"mr-{pid}"


def test_bearer_token_check(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "ehr-1", "use": "sig", "alg": "RS256"}]}))
    env = {"ADVISOR_CDS_JWT_SECRET": "s3cret-s3cret-s3cret-s3cret-s3cret", "ADVISOR_CDS_JWKS": str(tmp_path / "jwks.json"),
           "ADVISOR_CDS_JWT_ISSUERS": "https://ehr.example.org"}
    now = int(time.time())
    claims = {"iss": "https://ehr.example.org", "iat": now, "exp": now + 300, "jti": "1"}
    good_hs = jwt.encode(claims, env["ADVISOR_CDS_JWT_SECRET"], algorithm="HS256")
    good_rs = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "ehr-1"})
    expired = jwt.encode({**claims, "exp": now - 10}, env["ADVISOR_CDS_JWT_SECRET"], algorithm="HS256")
    other_iss = jwt.encode({**claims, "iss": "https://evil.example"}, env["ADVISOR_CDS_JWT_SECRET"], algorithm="HS256")
    body = call("p9", prefetch_of("p9"))
    with service(tmp_path, env=env) as (base, _):
        def post(token: str | None) -> int:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return httpx.post(f"{base}{HOOK}", json=body, headers=headers).status_code

        assert httpx.get(f"{base}/cds-services").status_code == 200  # discovery stays open
        assert [post(None), post("garbage"), post(expired), post(other_iss)] == [401, 401, 401, 401]
        assert [post(good_hs), post(good_rs)] == [200, 200]


def test_an_oversized_body_is_refused_before_it_is_read(server):
    base, _ = server
    resp = httpx.post(f"{base}{HOOK}", content=b" " * (11 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
