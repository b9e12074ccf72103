"""One durable-rules session per process: evaluations from many threads must not mix patients."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from advisor.evaluate import evaluate
from conftest import state_of

STATES = [
    {"imatinib": {"status": "taking", "dose_mg": dose}, "labs": {"anc": {"value": anc}, "platelets": {"value": plt}},
     **({"adverse_events": [{"term": "diarrhea", "grade": g}]} if g else {})}
    for dose in (300, 400, 600) for anc in (0.3, 0.9, 2.2) for plt in (30, 160) for g in (0, 3)
]


def test_threads_evaluating_at_once_each_get_their_own_advice(rulebook):
    states = [state_of(s) for s in STATES]
    serial = [evaluate(s, rulebook).to_json(with_trace=False) for s in states]
    assert len({str(a["recommendations"]) for a in serial}) >= 5  # distinct advice, so a mix-up would show
    work = list(range(len(states))) * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: (i, evaluate(states[i], rulebook).to_json(with_trace=False)), work))
    for i, advice in results:
        assert advice == serial[i]
