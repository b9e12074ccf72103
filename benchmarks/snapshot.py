"""Byte-identity check for performance work: dump the full advice JSON (with trace) of a fixed
corpus, change the code, dump again, compare.

    .venv/bin/python benchmarks/snapshot.py dump before.jsonl    # on the old code
    .venv/bin/python benchmarks/snapshot.py dump after.jsonl     # on the new code
    .venv/bin/python benchmarks/snapshot.py compare before.jsonl after.jsonl

The corpus: every step of every scenario that loads (scenarios/, examples/example-scenario.yaml,
examples/vignettes/), the example states, N generated states (benchmarks/cohort.py, fixed
seed), and the same states against the synthetic 30- and 300-rule rulebooks; each with the
durable-rules backend and the reference evaluator. One line per item: name, then the exact
text `advisor evaluate --json` prints (render.advice_json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.errors import AdvisorError  # noqa: E402
from advisor.evaluate import evaluate, get_rulebook  # noqa: E402
from advisor.render import advice_json  # noqa: E402
from advisor.scenarios import load_scenario  # noqa: E402
from advisor.state import load_state  # noqa: E402
from benchmarks import cohort, synth  # noqa: E402


def corpus(generated: int):
    rb = get_rulebook()
    files = sorted((ROOT / "scenarios").glob("*.y*ml")) + [ROOT / "examples" / "example-scenario.yaml"]
    files += sorted((ROOT / "examples" / "vignettes").glob("*.y*ml"))
    for f in files:
        try:
            scenario = load_scenario(f, rb)
        except AdvisorError:
            continue
        for s in scenario.steps:
            yield f"{f.relative_to(ROOT)}:{s.id}", s.state, rb
    for f in sorted((ROOT / "examples").glob("*.yaml")):
        if f.name != "example-scenario.yaml":
            yield str(f.relative_to(ROOT)), load_state(f), rb
    states = cohort.states(generated)
    for i, s in enumerate(states):
        yield f"cohort-{i}", s, rb
    for size in (30, 300):
        srb = synth.rulebook(size)
        for i, s in enumerate(states[:200]):
            yield f"synth{size}-{i}", s, srb


def dump(out: Path, generated: int) -> int:
    n = 0
    with out.open("w") as fh:
        for name, state, rb in corpus(generated):
            for backend in ("durable", "reference"):
                fh.write(json.dumps([f"{name}#{backend}", advice_json(evaluate(state, rb, backend=backend))]) + "\n")
                n += 1
    print(f"{n} advice documents written to {out}")
    return 0


def compare(a: Path, b: Path) -> int:
    left = [json.loads(line) for line in a.open()]
    right = [json.loads(line) for line in b.open()]
    if [k for k, _ in left] != [k for k, _ in right]:
        print("the two dumps cover different items")
        return 1
    diff = [k for (k, x), (_, y) in zip(left, right) if x != y]
    for k in diff[:10]:
        print(f"differs: {k}")
    print(f"{len(left)} advice documents compared, {len(diff)} differ")
    return 1 if diff else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--generated", type=int, default=1000)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args()
    return dump(args.out, args.generated) if args.cmd == "dump" else compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
