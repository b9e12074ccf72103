"""A long batch (issue 7): thousands of steps, steady memory, failures do not stop the run.

A folder of generated scenario files (4,000 steps) with failing steps, a file that is not
YAML and a file whose 60th step is invalid is replayed with run_batch: every good step is
reported, every broken file is listed with its line, and the resident memory measured after
the first half of the files and at the end grows by only a few MB (the results themselves).
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
from pathlib import Path

import pytest
import yaml

from advisor.evaluate import get_rulebook
from advisor.scenarios import run_batch

FILES = 40
STEPS = 100  # per file: 4,000 steps in all
TERMS = ("diarrhea", "nausea", "edema_limbs", "rash_maculopapular", "fatigue", "myalgia")
MAX_GROWTH_MB = 30


def rss_mb() -> float:
    """Current resident set size (Linux /proc), else the peak from getrusage."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def scenario(n: int, failing_every: int = 0) -> dict:
    steps = []
    for i in range(STEPS):
        term = TERMS[(n + i) % len(TERMS)]
        grade = 1 + (i % 3)
        step = {"id": f"s{i:03d}", "day": i * 7,
                "state": {"adverse_events": [{"term": term, "grade": grade, "trend": "new" if grade >= 3 else "stable"}],
                          "labs": {"alt": {"value": 20 + (i * 37) % 900, "uln": 40}}},
                # the safety layer guarantees this expectation with any rulebook
                "expect": {"not": ["escalate_dose"]} if grade < 3 else {"not": ["continue_imatinib", "escalate_dose"]}}
        if failing_every and i % failing_every == 0:
            step["expect"] = {"dose_mg": 1600}  # valid, but never met: the advisor never goes above 800 mg/d
        steps.append(step)
    steps[0]["state"].update({"indication": "metastatic", "imatinib": {"status": "taking", "dose_mg": 400}})
    return {"case": {"id": f"long-{n:03d}", "title": f"generated {n}"}, "patient": {"age": 50 + n % 30, "sex": "female"},
            "steps": steps}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("long-batch")
    for n in range(FILES):
        data = scenario(n, failing_every=25 if n % 10 == 3 else 0)
        (root / f"case-{n:03d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (root / "case-broken.yaml").write_text("case: {id: broken\nsteps: [\n")  # not YAML
    late = scenario(999)
    late["steps"][60]["state"]["adverse_events"] = [{"term": "diarrhea", "grade": 9}]
    (root / "case-late-error.yaml").write_text(yaml.safe_dump(late, sort_keys=False))
    return root


def test_long_batch_reports_every_step_and_holds_steady_memory(folder):
    rulebook = get_rulebook()
    files = sorted(folder.glob("*.yaml"))
    half = len(files) // 2
    seen: list[Path] = []
    samples: dict[str, float] = {}

    totals: set[int] = set()

    def progress(f, total):
        seen.append(Path(f))
        totals.add(total)
        if len(seen) == 3:  # after warm-up (rulebook compiled, caches filled)
            gc.collect()
            samples["start"] = rss_mb()
        elif len(seen) == half:
            gc.collect()
            samples["half"] = rss_mb()

    t0 = time.perf_counter()
    result = run_batch([folder], rulebook, progress=progress)
    elapsed = time.perf_counter() - t0
    gc.collect()
    samples["end"] = rss_mb()

    # every good step reported, the failing ones as failures, and the run went on past them
    good_files = FILES
    assert result.summary["files"] == good_files + 2
    assert totals == {good_files + 2}  # the callback learns the total from the one folder walk
    assert len(result.results) == good_files * STEPS
    failed = [r for r in result.results if r.result == "fail"]
    assert len(failed) == 4 * (STEPS // 25)  # files 3, 13, 23, 33: steps 0, 25, 50, 75
    assert all("dose" in r.problems[0] for r in failed)
    assert {r.result for r in result.results} <= {"pass", "fail", "deviation"}
    assert result.summary["passed"] + result.summary["deviations"] == good_files * STEPS - len(failed)
    assert result.exit_code == 2  # a file did not load

    errors = {Path(e.file).name: e for e in result.load_errors}
    assert set(errors) == {"case-broken.yaml", "case-late-error.yaml"}
    assert errors["case-broken.yaml"].line is not None and "not valid YAML" in errors["case-broken.yaml"].message
    assert "steps[60]" in errors["case-late-error.yaml"].message and errors["case-late-error.yaml"].line
    assert len(seen) == len(files)  # progress reached every file, including the broken ones

    growth_first, growth_second = samples["half"] - samples["start"], samples["end"] - samples["half"]
    print(f"\n[long batch] {len(result.results)} steps in {elapsed:.1f} s; RSS start {samples['start']:.0f} MB, "
          f"half {samples['half']:.0f} MB, end {samples['end']:.0f} MB")
    assert growth_second < MAX_GROWTH_MB, samples
    assert growth_second <= max(2 * growth_first, 10), samples  # no per-step leak that grows with the run
