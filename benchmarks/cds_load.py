"""Load benchmark of the CDS Hooks service on loopback (a benchmark, not a test).

Starts `advisor serve --workers W` on a free port, then keeps C clients (asyncio + httpx, one
process) posting patient-view calls with full prefetch for distinct made-up patients (a
realistic prefetch: Patient, imatinib order, 14 lab Observations over two dates incl. a
pre-treatment baseline, a graded Condition, a co-medication) for D seconds after a warm-up.
Prints requests/s and latency percentiles; --json writes them to benchmarks/cds_results.json.

    .venv/bin/python benchmarks/cds_load.py [--clients 32] [--workers 2] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from cds_server import service  # noqa: E402
from fhir_resources import bundle, comed, condition, imatinib_order, lab, patient, weight  # noqa: E402


def hook_call(i: int) -> dict:
    pid = f"load{i}"
    anc = (0.4, 0.9, 1.3, 2.4)[i % 4]
    alt = (30, 95, 150, 260)[(i // 4) % 4]
    labs = []
    for date, factor in (("2023-12-20", 0.3), ("2024-06-01", 1.0)):
        labs += [lab("1742-6", round(alt * factor, 1), "U/L", date, high=40, pid=pid),
                 lab("1920-8", round(alt * factor * 0.8, 1), "U/L", date, high=40, pid=pid),
                 lab("1975-2", 14, "umol/L", date, high=21, pid=pid),
                 lab("751-8", anc if factor == 1 else 3.1, "10*9/L", date, low=1.5, pid=pid),
                 lab("777-3", 190, "10*9/L", date, low=150, high=400, pid=pid),
                 lab("718-7", 12.1, "g/dL", date, low=12, pid=pid),
                 lab("2160-0", 0.9, "mg/dL", date, high=1.2, pid=pid)]
    prefetch = {
        "patient": patient(pid, "1958-02-11", "male" if i % 2 else "female"),
        "medications": bundle(imatinib_order((300, 400, 600)[i % 3], pid=pid, rid=f"mr-{pid}"), kind="searchset"),
        "medicationStatements": bundle(comed("pantoprazole", 40, pid=pid), kind="searchset"),
        "labs": bundle(weight(71, pid=pid), *labs, kind="searchset"),
        "conditions": bundle(condition("Edema limbs", 1, pid=pid), kind="searchset"),
        "adverseEvents": bundle(kind="searchset"),
    }
    return {"hook": "patient-view", "hookInstance": f"bench-{i}", "context": {"patientId": pid, "userId": "Practitioner/1"},
            "prefetch": prefetch}


async def load(base: str, bodies: list[bytes], clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client(c: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            body = bodies[next(counter) % len(bodies)]
            t0 = time.perf_counter()
            resp = await c.post(f"{base}/cds-services/imatinib-toxicity", content=body, headers={"Content-Type": "application/json"})
            latencies.append(time.perf_counter() - t0)
            if resp.status_code != 200 or not resp.json()["cards"]:
                errors += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as c:
        await asyncio.gather(*(client(c) for _ in range(clients)))
    return latencies, errors


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--patients", type=int, default=500)
    ap.add_argument("--json", action="store_true", help="write benchmarks/cds_results.json")
    args = ap.parse_args()
    bodies = [json.dumps(hook_call(i)).encode() for i in range(args.patients)]
    with tempfile.TemporaryDirectory() as tmp, service(Path(tmp), workers=args.workers, env={"ADVISOR_CDS_PUBLIC_URL": "http://cds.local"}) as (base, _):
        asyncio.run(load(base, bodies, args.clients, args.warmup))
        one, _ = asyncio.run(load(base, bodies, 1, min(5.0, args.seconds)))  # latency with no queueing
        lat, errors = asyncio.run(load(base, bodies, args.clients, args.seconds))
    result = {
        "clients": args.clients, "workers": args.workers, "seconds": args.seconds, "requests": len(lat), "errors": errors,
        "requests_per_s": round(len(lat) / args.seconds, 1),
        "latency_ms": {k: round(pct(lat, p) * 1000, 1) for k, p in (("p50", 50), ("p90", 90), ("p99", 99))} | {"max": round(max(lat) * 1000, 1)},
        "single_client_latency_ms": {"p50": round(statistics.median(one) * 1000, 1), "p99": round(pct(one, 99) * 1000, 1)},
        "request_bytes_median": int(statistics.median(len(b) for b in bodies)),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg_1m": round(os.getloadavg()[0], 2)},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        (ROOT / "benchmarks" / "cds_results.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
