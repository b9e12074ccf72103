"""Before/after on one machine in one run: the old code and the new, measured in alternation.

    .venv/bin/python benchmarks/paired.py --base /path/to/old/tree [--rounds 5] [--quick]

`--base` is a source tree of the code to compare with (e.g. `git archive main | tar -x -C DIR`);
the new tree is this one. Every figure is CPU time (time.process_time in the measuring process,
getrusage for subprocesses), not wall clock, because the machine is shared: other processes
slow the wall clock but barely the CPU time of ours. Runs alternate base, new, new, base, ...
so drift in machine load hits both alike; each figure is reported as the median of the rounds
with its range (min-max). Ratios are taken within one round (paired) before the median.

Figures (issue 15): cold start of `advisor --version` and `advisor evaluate --json STATE`
against `python -c 'import typer'`; evaluate() and engine.run against the raw durable-rules
floor on the same facts; engine.run at 3,000 against 30 rules; `advisor batch` 1 against 2
workers (wall clock: it needs idle cores) and the cost of the batch table for 2,000 steps.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


# ---- child side: runs with the measured tree first on sys.path -------------------------------

def _cpu(fn) -> float:
    gc.collect()
    t = time.process_time()
    fn()
    return time.process_time() - t


def child_engine(n: int, rounds: int) -> dict:
    from advisor import engine
    from advisor.evaluate import evaluate, get_rulebook
    from advisor.facts import build_facts
    from advisor.grading import grade_labs
    from benchmarks import cohort, synth
    from benchmarks.run import floor_run, messages_of

    rb = get_rulebook()
    states = cohort.states(n)
    facts = [build_facts(s, grade_labs(s), rb.ladder, rb.standard_mg)[0] for s in states]
    msgs = messages_of(facts)
    evaluate(states[0], rb)
    handle = engine.compiled(rb).handle

    def floor() -> None:
        floor_run(handle, msgs)

    def run_engine() -> None:
        for f in facts:
            engine.run(rb, f)

    def run_evaluate() -> None:
        for s in states:
            evaluate(s, rb)

    sub = states[: max(200, n // 5)]
    scaled = {}
    for size in (30, 3000):
        srb = synth.rulebook(size)
        engine.compiled(srb)
        sf = [build_facts(s, grade_labs(s), srb.ladder, srb.standard_mg)[0] for s in sub]
        scaled[size] = (srb, sf, engine.compiled(srb).handle, messages_of(sf))

    out: dict[str, list[float]] = {k: [] for k in ("floor_us", "engine_us", "evaluate_us", "rules30_us", "rules3000_us",
                                                   "floor30_us", "floor3000_us")}
    for _ in range(rounds):
        out["floor_us"].append(_cpu(floor) / n * 1e6)
        out["engine_us"].append(_cpu(run_engine) / n * 1e6)
        out["evaluate_us"].append(_cpu(run_evaluate) / n * 1e6)
        for size in (30, 3000):
            srb, sf, h, m = scaled[size]
            out[f"rules{size}_us"].append(_cpu(lambda: [engine.run(srb, f) for f in sf]) / len(sf) * 1e6)
            out[f"floor{size}_us"].append(_cpu(lambda: floor_run(h, m)) / len(sf) * 1e6)
    return out


def child_batch(steps: int, rounds: int) -> dict:
    from advisor.evaluate import get_rulebook
    from advisor.render.batch import emit_batch
    from advisor.scenarios import run_batch
    from benchmarks import cohort

    # this tree's scenario writer for both trees: the same steps (older writers let a step
    # inherit labs from the step before, which some states now reject)
    spec = importlib.util.spec_from_file_location("bench_run_here", HERE / "benchmarks" / "run.py")
    here_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(here_run)
    write_scenarios = here_run.write_scenarios

    rb = get_rulebook()
    out: dict[str, list[float]] = {k: [] for k in ("w1_wall_s", "w2_wall_s", "w1_cpu_s", "render_cpu_s", "identical", "steps")}
    with tempfile.TemporaryDirectory() as tmp:
        write_scenarios(Path(tmp), cohort.cohort(steps), 50)
        one = run_batch([tmp], rb)
        if one.load_errors:
            raise SystemExit(f"benchmark scenarios did not load: {one.load_errors[0].message}")
        for _ in range(rounds):
            out["steps"].append(float(len(one.results)))
            for w in (1, 2):
                t, c = time.perf_counter(), time.process_time()
                res = run_batch([tmp], rb, workers=w)
                out[f"w{w}_wall_s"].append(time.perf_counter() - t)
                if w == 1:
                    out["w1_cpu_s"].append(time.process_time() - c)
                else:
                    out["identical"].append(float(res.to_json() == one.to_json()))
            sink = io.StringIO()
            with redirect_stdout(sink):
                out["render_cpu_s"].append(_cpu(lambda: emit_batch(one)))
    return out


# ---- parent side ------------------------------------------------------------------------------

def _child(tree: Path, kind: str, size: int, rounds: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    code = (f"import sys; sys.path.insert(0, {str(tree)!r}); sys.path.insert(1, {str(HERE / 'benchmarks')!r}); "
            f"import json, paired; print(json.dumps(paired.child_{kind}({size}, {rounds})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_cpu(cmd: list[str], cwd: Path, env: dict) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def cold(trees: dict[str, Path], rounds: int, state: Path) -> dict:
    cache = Path(tempfile.mkdtemp(prefix="advisor-cache-"))
    cli = "from advisor.cli import main; main()"

    def env(tree: Path | None, cache_dir: Path = cache) -> dict:
        e = dict(os.environ, XDG_CACHE_HOME=str(cache_dir))
        if tree is not None:
            e["PYTHONPATH"] = str(tree)
        return e

    cmds: dict[str, tuple[list[str], Path, dict]] = {"typer": ([sys.executable, "-c", "import typer"], HERE, env(None))}
    for name, tree in trees.items():
        cmds[f"{name}_version"] = ([sys.executable, "-c", cli, "--version"], tree, env(tree))
        cmds[f"{name}_evaluate"] = ([sys.executable, "-c", cli, "evaluate", "--json", str(state)], tree, env(tree))
    for cmd, cwd, e in cmds.values():  # warm the OS file cache and the rulebook cache
        cold_cpu(cmd, cwd, e)
    ms: dict[str, list[float]] = {k: [] for k in cmds}
    names = list(cmds)
    for r in range(rounds):
        for k in (names if r % 2 == 0 else names[::-1]):
            ms[k].append(cold_cpu(*cmds[k]))
    # A cache that is empty (first run after install or after a rulebook edit), new tree only.
    new = trees["new"]
    ms["new_evaluate_cache_empty"] = [cold_cpu([sys.executable, "-c", cli, "evaluate", "--json", str(state)], new,
                                                env(new, Path(tempfile.mkdtemp(prefix="advisor-cache-")))) for _ in range(rounds)]
    for name in trees:
        ms[f"{name}_version_vs_typer"] = [v / t for v, t in zip(ms[f"{name}_version"], ms["typer"])]
        ms[f"{name}_evaluate_vs_typer"] = [v / t for v, t in zip(ms[f"{name}_evaluate"], ms["typer"])]
    return ms


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="source tree of the code to compare with")
    ap.add_argument("--rounds", type=int, default=5, help="alternations per figure (default 5)")
    ap.add_argument("--quick", action="store_true", help="1,000 states and a 1,000-step batch")
    ap.add_argument("--json", type=Path, default=HERE / "benchmarks" / "paired.json")
    ap.add_argument("--skip", nargs="*", default=[], choices=["cold", "engine", "batch"])
    args = ap.parse_args()
    trees = {"base": args.base.resolve(), "new": HERE}
    n, steps = (1000, 1000) if args.quick else (3000, 2000)
    res: dict = {"load_before": os.getloadavg(), "cpus": os.cpu_count(), "rounds": args.rounds}
    state = HERE / "examples" / "neutropenia-grade2.yaml"
    if "cold" not in args.skip:
        res["cold_ms"] = {k: summary(v) for k, v in cold(trees, max(args.rounds * 2, 10), state).items()}
    for kind, size in (("engine", n), ("batch", steps)):
        if kind in args.skip:
            continue
        acc: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for r in range(args.rounds):
            for name in (("base", "new") if r % 2 == 0 else ("new", "base")):
                for k, v in _child(trees[name], kind, size, 1).items():
                    acc[name].setdefault(k, []).extend(v)
        for name, figs in acc.items():
            if kind == "engine":
                figs["evaluate_vs_floor"] = [f / e for f, e in zip(figs["floor_us"], figs["evaluate_us"])]
                figs["engine_vs_floor"] = [f / e for f, e in zip(figs["floor_us"], figs["engine_us"])]
                figs["rules_3000_vs_30"] = [b / a for a, b in zip(figs["rules30_us"], figs["rules3000_us"])]
                figs["floor_3000_vs_30"] = [b / a for a, b in zip(figs["floor30_us"], figs["floor3000_us"])]
            else:
                figs["workers2_speedup"] = [a / b for a, b in zip(figs["w1_wall_s"], figs["w2_wall_s"])]
                figs["render_share"] = [r / c for r, c in zip(figs["render_cpu_s"], figs["w1_cpu_s"])]
            res.setdefault(kind, {})[name] = {k: summary(v) for k, v in figs.items()}
    res["load_after"] = os.getloadavg()
    args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(report(res))
    return 0


def report(res: dict) -> str:
    lines = [f"{res['cpus']} CPUs; load average before {res['load_before'][0]:.1f}, after {res['load_after'][0]:.1f}; "
             "median [min-max] of the rounds", ""]

    def row(label: str, base: dict | None, new: dict, fmt: str = "{:.2f}") -> str:
        def s(d: dict | None) -> str:
            return "-" if d is None else f"{fmt.format(d['median'])} [{fmt.format(d['min'])}-{fmt.format(d['max'])}]"
        return f"{label:42} {s(base):>26} {s(new):>26}"

    lines.append(f"{'figure':42} {'before':>26} {'after':>26}")
    c = res.get("cold_ms")
    if c:
        lines.append(row("cold CPU ms: import typer", None, c["typer"], "{:.0f}"))
        lines.append(row("cold CPU ms: advisor --version", c["base_version"], c["new_version"], "{:.0f}"))
        lines.append(row("cold CPU ms: advisor evaluate --json", c["base_evaluate"], c["new_evaluate"], "{:.0f}"))
        lines.append(row("  the same, rulebook cache empty", None, c["new_evaluate_cache_empty"], "{:.0f}"))
        lines.append(row("--version / import typer", c["base_version_vs_typer"], c["new_version_vs_typer"]))
        lines.append(row("evaluate --json / import typer", c["base_evaluate_vs_typer"], c["new_evaluate_vs_typer"]))
    e = res.get("engine")
    if e:
        for k, label, fmt in (("floor_us", "raw durable floor, CPU us/state", "{:.0f}"),
                              ("engine_us", "engine.run, CPU us/state", "{:.0f}"),
                              ("evaluate_us", "evaluate(), CPU us/state", "{:.0f}"),
                              ("evaluate_vs_floor", "evaluate() / floor (throughput)", "{:.3f}"),
                              ("engine_vs_floor", "engine.run / floor (throughput)", "{:.3f}"),
                              ("rules30_us", "engine.run at 30 rules, us", "{:.0f}"),
                              ("rules3000_us", "engine.run at 3,000 rules, us", "{:.0f}"),
                              ("rules_3000_vs_30", "engine.run 3,000 / 30 rules", "{:.2f}"),
                              ("floor_3000_vs_30", "raw floor 3,000 / 30 rules", "{:.2f}")):
            lines.append(row(label, e["base"][k], e["new"][k], fmt))
    b = res.get("batch")
    if b:
        for k, label, fmt in (("w1_wall_s", "batch 1 worker, wall s", "{:.2f}"), ("w2_wall_s", "batch 2 workers, wall s", "{:.2f}"),
                              ("workers2_speedup", "--workers 2 speed-up (wall)", "{:.2f}"),
                              ("w1_cpu_s", "batch 1 worker, CPU s", "{:.2f}"), ("render_cpu_s", "batch table render, CPU s", "{:.3f}"),
                              ("render_share", "render / batch CPU", "{:.3f}"), ("identical", "2 workers identical to 1", "{:.0f}")):
            lines.append(row(label, b["base"][k], b["new"][k], fmt))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
