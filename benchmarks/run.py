"""The benchmark: `make bench` or `.venv/bin/python benchmarks/run.py [--quick] [--reps N]`.

One run measures, on a synthetic cohort from a fixed seed (benchmarks/cohort.py):
 1. end-to-end throughput of the library (evaluate(), states/s) on 10,000 states, and of
    `advisor batch` (run_batch: load + evaluate + check) with 1 and N workers;
 2. latency per evaluation, median and p99;
 3. the raw durable-rules floor: the same compiled ruleset and facts asserted directly
    (pre-serialised JSON, actions drained, facts retracted) against engine.run();
 4. scaling: synthetic rulebooks of 30, 300, 3,000 rules; 5, 50, 500 facts per state;
 5. memory: RSS after 10,000 and after 100,000 evaluations in one (sub)process;
 6. cold start: `advisor --version` and `advisor evaluate` against `python -c 'import typer'`;
 and the speed of the pure-Python reference evaluator (advisor/reference.py).
Each timing is the median of --reps repetitions. Prints a table; writes benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from advisor import engine, reference  # noqa: E402
from advisor.compiler import SENTINEL_FACT  # noqa: E402
from advisor.evaluate import evaluate, get_rulebook  # noqa: E402
from advisor.facts import build_facts  # noqa: E402
from advisor.grading import grade_labs  # noqa: E402
from benchmarks import cohort, synth  # noqa: E402

TARGETS = {
    "states_per_s_per_core": 1000, "wrapper_vs_floor": 0.70, "workers2_speedup": 1.7,
    "rules_3000_vs_30": 1.5, "rss_100k_vs_10k": 1.1, "version_vs_typer": 1.3, "evaluate_cli_ms": 400,
}


def median_of(reps: int, fn):
    return statistics.median(fn() for _ in range(reps))


def rate(n: int, fn) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)


def facts_of(states, rb):
    return [build_facts(s, grade_labs(s), rb.ladder, rb.standard_mg)[0] for s in states]


def floor_run(handle, messages) -> None:
    import durable_rules_engine as dre

    for m in messages:
        sh = dre.assert_facts(handle, m)[1]
        a = dre.start_action_for_state(handle, sh)
        while a:
            dre.update_state(handle, a[0])
            nxt = dre.complete_and_start_action(handle, sh)
            a = (a[0], nxt) if nxt else None
        dre.retract_facts(handle, m)


def messages_of(facts_list):
    return [json.dumps([f.as_message(engine.SID) for f in fs] + [{"sid": engine.SID, **SENTINEL_FACT}]) for fs in facts_list]


def _mergeable(state: dict) -> dict:
    """Steps deep-merge over the previous step: give every key a later step could inherit wrongly."""
    st = json.loads(json.dumps(state))
    st["imatinib"].setdefault("schedule", "daily")
    st["imatinib"].pop("days_interrupted", None)
    if "response" in st:
        st["response"].setdefault("progression", "none")
    return st


def _own_labs(steps: list[dict]) -> list[dict]:
    """Labs merge key by key: each step removes (null) the analytes of the step before that it
    lacks, so its labs are its own (a stale direct bilirubin may exceed a new total, which the
    state check rightly refuses)."""
    before: set[str] = set()
    for step in steps:
        labs = step["state"].get("labs") or {}
        if before - set(labs):
            step["state"]["labs"] = {**{a: None for a in sorted(before - set(labs))}, **labs}
        before = set(labs)
    return steps


def write_scenarios(folder: Path, data: list[dict], per_file: int) -> None:
    """The cohort as scenario files of per_file steps (one patient-day per step)."""
    for k in range(0, len(data), per_file):
        steps = _own_labs([{"id": f"d{j}", "state": _mergeable(st), "expect": {}} for j, st in enumerate(data[k:k + per_file])])
        doc = {"case": {"id": f"bench-{k // per_file:04d}"}, "steps": steps}
        (folder / f"bench-{k // per_file:04d}.json").write_text(json.dumps(doc))


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def rss_child(first: int, second: int) -> None:
    """Subprocess body: evaluate the cohort in a loop; print RSS after `first` and `second` evaluations."""
    rb = get_rulebook()
    states = cohort.states(2000)
    out = {}
    for i in range(second):
        evaluate(states[i % len(states)], rb)
        if i + 1 in (first, second):
            gc.collect()
            out[str(i + 1)] = rss_kb()
    print(json.dumps(out))


def cold(cmd: list[str], reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller cohort and fewer repetitions (about 1 minute)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per timing (median reported); default 3, 1 with --quick")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    ap.add_argument("--rss-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return 0
    reps = args.reps or (1 if args.quick else 3)
    n = 2000 if args.quick else 10_000
    res: dict = {"machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                             "cpu": _cpu_name(), "load_before": os.getloadavg()}, "states": n, "reps": reps}
    rb = get_rulebook()
    res["rulebook"] = {"id": rb.id, "version": rb.version, "rules": len(rb.rules)}
    data = cohort.cohort(n)
    states = cohort.states(n)
    facts = facts_of(states, rb)
    res["facts_per_state"] = round(sum(map(len, facts)) / n, 1)
    evaluate(states[0], rb)  # compile the ruleset once, outside the timings

    # 1-2. library throughput and latency
    res["evaluate_per_s"] = median_of(reps, lambda: rate(n, lambda: [evaluate(s, rb) for s in states]))
    lat = []
    for s in states:
        t = time.perf_counter_ns()
        evaluate(s, rb)
        lat.append(time.perf_counter_ns() - t)
    lat.sort()
    res["latency_us"] = {"median": lat[len(lat) // 2] / 1000, "p99": lat[int(len(lat) * 0.99)] / 1000}
    res["reference_evaluate_per_s"] = median_of(reps, lambda: rate(n, lambda: [evaluate(s, rb, backend="reference") for s in states]))

    # 3. wrapper against the raw durable-rules floor, same ruleset and facts
    handle = engine.compiled(rb).handle
    msgs = messages_of(facts)
    res["floor_per_s"] = median_of(reps, lambda: rate(n, lambda: floor_run(handle, msgs)))
    res["engine_run_per_s"] = median_of(reps, lambda: rate(n, lambda: [engine.run(rb, f) for f in facts]))
    res["reference_run_per_s"] = median_of(reps, lambda: rate(n, lambda: [reference.run(rb, f) for f in facts]))
    res["wrapper_vs_floor"] = res["engine_run_per_s"] / res["floor_per_s"]
    res["evaluate_vs_floor"] = res["evaluate_per_s"] / res["floor_per_s"]

    # 1b. advisor batch: files -> load -> evaluate -> check, 1 and N workers
    from advisor.scenarios import run_batch

    with tempfile.TemporaryDirectory() as tmp:
        write_scenarios(Path(tmp), data, 50)
        one = run_batch([tmp], rb)
        steps = len(one.results)
        if one.load_errors:
            raise SystemExit(f"benchmark scenarios did not load: {one.load_errors[0].message}")
        res["batch_steps"] = steps
        res["batch_1_per_s"] = median_of(reps, lambda: rate(steps, lambda: run_batch([tmp], rb)))
        for w in sorted({2, args.workers}):
            many = run_batch([tmp], rb, workers=w)
            res[f"batch_{w}_identical"] = many.to_json() == one.to_json()
            res[f"batch_{w}_per_s"] = median_of(reps, lambda w=w: rate(steps, lambda: run_batch([tmp], rb, workers=w)))
        res["workers2_speedup"] = res["batch_2_per_s"] / res["batch_1_per_s"]

    # 4. scaling with rule count (same firings at every size) and with facts per state
    sub = states[: (500 if args.quick else 2000)]
    scale: dict = {}
    for size in (30, 300, 3000):
        t = time.perf_counter()
        srb = synth.rulebook(size)
        engine.compiled(srb)
        setup = time.perf_counter() - t
        sfacts = facts_of(sub, srb)
        e = median_of(reps, lambda: rate(len(sub), lambda: [engine.run(srb, f) for f in sfacts]))
        ev = median_of(reps, lambda: rate(len(sub), lambda: [evaluate(s, srb) for s in sub]))
        r = median_of(reps, lambda: rate(len(sub), lambda: [reference.run(srb, f) for f in sfacts]))
        fired = sum(len(engine.run(srb, f)) for f in sfacts)
        scale[str(size)] = {"load_compile_s": setup, "engine_us": 1e6 / e, "evaluate_us": 1e6 / ev, "reference_us": 1e6 / r, "firings": fired}
    res["rules_scaling"] = scale
    res["rules_3000_vs_30_engine"] = scale["3000"]["engine_us"] / scale["30"]["engine_us"]
    res["rules_3000_vs_30_evaluate"] = scale["3000"]["evaluate_us"] / scale["30"]["evaluate_us"]
    fscale: dict = {}
    for k in (5, 50, 500):
        m = 50 if k == 500 else 300
        fl = [synth.padded_facts(f, k, seed=i) for i, f in enumerate(facts[:m])]
        e = median_of(reps, lambda: rate(m, lambda: [engine.run(rb, f) for f in fl]))
        r = median_of(reps, lambda: rate(m, lambda: [reference.run(rb, f) for f in fl]))
        fscale[str(k)] = {"engine_us": 1e6 / e, "reference_us": 1e6 / r, "firings_per_state": sum(len(engine.run(rb, f)) for f in fl) / m}
    res["facts_scaling"] = fscale

    # 5. memory in a fresh process
    first, second = (10_000, 30_000) if args.quick else (10_000, 100_000)
    try:
        out = subprocess.run([sys.executable, __file__, "--rss-child", str(first), str(second)], capture_output=True,
                             text=True, timeout=300, check=True).stdout
        rss = json.loads(out.strip().splitlines()[-1])
        res["rss_kb"] = rss
        res["rss_ratio"] = rss[str(second)] / rss[str(first)]
    except (subprocess.SubprocessError, ValueError) as exc:
        res["rss_kb"] = {"error": str(exc)[:200]}

    # 6. cold start
    example = ROOT / "examples" / "neutropenia-grade2.yaml"  # the contract's example state
    creps = 3 if args.quick else 7
    res["cold_ms"] = {
        "import_typer": cold([sys.executable, "-c", "import typer"], creps),
        "advisor_version": cold([str(BIN / "advisor"), "--version"], creps),
        "advisor_evaluate": cold([str(BIN / "advisor"), "evaluate", str(example)], creps),
        "example": str(example),
    }
    res["version_vs_typer"] = res["cold_ms"]["advisor_version"] / res["cold_ms"]["import_typer"]
    res["load_after"] = os.getloadavg()
    res["verdicts"] = verdicts(res)
    args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(table(res))
    print(f"\nJSON: {args.json}")
    return 0


def verdicts(res: dict) -> dict:
    t = TARGETS
    out = {
        "states/s per core (evaluate)": (res["evaluate_per_s"], f">= {t['states_per_s_per_core']}", res["evaluate_per_s"] >= t["states_per_s_per_core"]),
        "states/s per core (batch, 1 worker)": (res["batch_1_per_s"], f">= {t['states_per_s_per_core']}", res["batch_1_per_s"] >= t["states_per_s_per_core"]),
        "engine.run / raw floor": (res["wrapper_vs_floor"], f">= {t['wrapper_vs_floor']}", res["wrapper_vs_floor"] >= t["wrapper_vs_floor"]),
        "batch --workers 2 speedup": (res["workers2_speedup"], f">= {t['workers2_speedup']}", res["workers2_speedup"] >= t["workers2_speedup"]),
        "3000/30 rules, engine.run": (res["rules_3000_vs_30_engine"], f"<= {t['rules_3000_vs_30']}", res["rules_3000_vs_30_engine"] <= t["rules_3000_vs_30"]),
        "3000/30 rules, evaluate": (res["rules_3000_vs_30_evaluate"], f"<= {t['rules_3000_vs_30']}", res["rules_3000_vs_30_evaluate"] <= t["rules_3000_vs_30"]),
        "advisor --version / import typer": (res["version_vs_typer"], f"<= {t['version_vs_typer']}", res["version_vs_typer"] <= t["version_vs_typer"]),
        "advisor evaluate (ms)": (res["cold_ms"]["advisor_evaluate"], f"<= {t['evaluate_cli_ms']}", res["cold_ms"]["advisor_evaluate"] <= t["evaluate_cli_ms"]),
    }
    if "rss_ratio" in res:
        out["RSS ratio (more/10k evaluations)"] = (res["rss_ratio"], f"<= {t['rss_100k_vs_10k']}", res["rss_ratio"] <= t["rss_100k_vs_10k"])
    return {k: {"value": round(v, 3), "target": tg, "met": ok} for k, (v, tg, ok) in out.items()}


def table(res: dict) -> str:
    m = res["machine"]
    lines = [f"machine: {m['cpu']}, {m['cpus']} CPUs, Python {m['python']}; load before {m['load_before'][0]:.2f}, after {res['load_after'][0]:.2f}",
             f"rulebook {res['rulebook']['id']} {res['rulebook']['version']} ({res['rulebook']['rules']} rules); {res['states']} states, "
             f"{res['facts_per_state']} facts/state; median of {res['reps']}", "",
             f"{'measure':44} {'value':>12}", "-" * 57]
    rows = [
        ("evaluate(), states/s", res["evaluate_per_s"]),
        ("  latency median / p99 (us)", f"{res['latency_us']['median']:.0f} / {res['latency_us']['p99']:.0f}"),
        ("evaluate(backend='reference'), states/s", res["reference_evaluate_per_s"]),
        ("raw durable-rules floor, states/s", res["floor_per_s"]),
        ("engine.run (wrapper), states/s", res["engine_run_per_s"]),
        ("reference.run, states/s", res["reference_run_per_s"]),
        (f"advisor batch 1 worker, steps/s ({res['batch_steps']} steps)", res["batch_1_per_s"]),
    ]
    for k, v in list(res.items()):
        if k.startswith("batch_") and k.endswith("_per_s") and k != "batch_1_per_s":
            w = k.split("_")[1]
            rows.append((f"advisor batch {w} workers, steps/s (same: {res['batch_' + w + '_identical']})", v))
    for size, s in res["rules_scaling"].items():
        rows.append((f"{size} rules: engine / evaluate / reference (us)", f"{s['engine_us']:.0f} / {s['evaluate_us']:.0f} / {s['reference_us']:.0f}"))
    for k, s in res["facts_scaling"].items():
        rows.append((f"{k} facts: engine / reference (us)", f"{s['engine_us']:.0f} / {s['reference_us']:.0f}"))
    if "rss_ratio" in res:
        rows.append(("RSS (MB) " + " / ".join(f"after {k}" for k in res["rss_kb"]), " / ".join(f"{v / 1024:.1f}" for v in res["rss_kb"].values())))
    c = res["cold_ms"]
    rows.append(("cold: import typer / --version / evaluate (ms)", f"{c['import_typer']:.0f} / {c['advisor_version']:.0f} / {c['advisor_evaluate']:.0f}"))
    for label, v in rows:
        lines.append(f"{label:44} {v if isinstance(v, str) else f'{v:,.0f}':>12}")
    lines += ["", f"{'target':44} {'value':>8} {'target':>9}  met", "-" * 70]
    for k, v in res["verdicts"].items():
        lines.append(f"{k:44} {v['value']:>8} {v['target']:>9}  {'yes' if v['met'] else 'NO'}")
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
