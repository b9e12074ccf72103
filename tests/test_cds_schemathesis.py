"""Property-based run of schemathesis against the service's own OpenAPI document: whatever the
generated request, the service answers within its documented responses and never a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from cds_server import service

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_api_keeps_its_documented_contract(tmp_path):
    # Only this (closed) port may be fetched from: generated fhirServer values are refused with
    # a 400 instead of sending the service off to resolve random host names.
    env = {"ADVISOR_CDS_FHIR_SERVERS": "http://127.0.0.1:9/"}
    with service(tmp_path, env=env) as (base, _):
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {"/cds-services", "/cds-services/{service_id}", "/cds-services/{service_id}/feedback"}
        for op in operations:
            @given(case=op.as_strategy())
            @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                case.call_and_validate(checks=CHECKS)

            check()
