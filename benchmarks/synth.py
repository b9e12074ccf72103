"""Synthetic rulebooks and fact sets for the scaling runs of benchmarks/run.py.

A rulebook of N rules = 30 base rules that fire on the cohort (one per AE term: the term, a
grade threshold, imatinib status; some assert a derived fact, some join through a Ref) plus
N - 30 selective rules of the same shape (type, then term, then grade: the discriminating
tests first) whose last threshold no valid state reaches. Every size therefore fires the same
rules on the same states, and the per-state time measures the cost of the rule count.

durable-rules limits respected: > 512 distinct tests under one parent node hangs
create_ruleset, > 256 rules sharing one pattern fail. Thresholds are spread so that no
parent has more than ~20 children and no pattern is shared by more than ~130 rules.
"""

from __future__ import annotations

import random

from advisor import vocab
from advisor.facts import SINGLETONS, Fact

HEADER = """\
rulebook: {{id: synthetic-{n}, version: "1", title: Synthetic rulebook of {n} rules}}
evidence:
  synthetic: {{kind: review, title: Synthetic evidence, citation: benchmarks/synth.py}}
dosing:
  ladder:
    - {{dose_mg: 100, schedule: every_other_day}}
    - {{dose_mg: 100}}
    - {{dose_mg: 200}}
    - {{dose_mg: 300}}
    - {{dose_mg: 400}}
    - {{dose_mg: 600}}
    - {{dose_mg: 800, schedule: twice_daily}}
  standard_mg: 400
derived_facts:
  flag:
    term: [{terms}]
    grade: number
fallback: {{rationale: No rule applies., evidence: [synthetic]}}
safety_hold: {{rationale: Hold for grade 3 or more., evidence: [synthetic]}}
rules:
"""


def rulebook_text(n: int) -> str:
    terms = list(vocab.AE_TERMS)
    out = [HEADER.format(n=n, terms=", ".join(terms))]
    for j in range(min(n, 30)):
        term = terms[j]
        if j % 5 == 0:
            out.append(f"""  - id: base-{j}
    area: general
    description: base rule {j} (asserts a derived flag)
    priority: 5
    when:
      - ae: {{term: {term}, grade: {{gte: 1}}}}
    assert:
      - flag: {{term: {term}, grade: {{ref: ae.grade}}}}
""")
            continue
        if j % 5 == 1:
            prev = terms[j - 1]
            out.append(f"""  - id: base-{j}
    area: general
    description: base rule {j} (reads the derived flag, joins on grade)
    priority: 20
    when:
      - flag: {{term: {prev}}}
      - ae: {{term: {{in: [{prev}, {term}]}}, grade: {{gte: flag.grade}}}}
    recommend:
      - {{action: monitor_labs, params: {{tests: [alt], interval_days: 7}}, rationale: base, evidence: [synthetic]}}
""")
            continue
        action = ("reduce_dose", "interrupt_imatinib", "continue_imatinib")[j % 3]
        params = {"reduce_dose": "{dose_mg: {ladder: current, step: -1}}", "interrupt_imatinib": "{until: resolved}",
                  "continue_imatinib": "{dose_mg: {ladder: current}}"}[action]
        out.append(f"""  - id: base-{j}
    area: general
    description: base rule {j}
    priority: {10 + j % 7}
    when:
      - ae: {{term: {term}, grade: {{gte: {1 + j % 3}}}, active: true}}
      - imatinib: {{status: taking}}
    recommend:
      - {{action: {action}, params: {params}, rationale: base, evidence: [synthetic]}}
""")
    statuses = vocab.STATUSES
    doses = (100, 200, 300, 400, 600, 800)
    for k in range(max(0, n - 30)):
        term = terms[k % len(terms)]
        grade = 1 + (k // len(terms)) % 4
        never = 6 + k // (4 * len(terms))  # stated_grade is 1-5: never met
        status = statuses[k % len(statuses)]
        dose = doses[(k // len(statuses)) % len(doses)]
        out.append(f"""  - id: filler-{k}
    area: general
    description: selective rule {k}
    priority: {k % 50}
    when:
      - ae: {{term: {term}, grade: {{gte: {grade}}}, stated_grade: {{gte: {never}}}}}
      - imatinib: {{status: {status}, dose_mg: {dose}}}
    recommend:
      - {{action: monitor_labs, params: {{tests: [anc], interval_days: 14}}, rationale: filler, evidence: [synthetic]}}
""")
    return "".join(out)


def rulebook(n: int):
    from advisor.rulebook import parse_rulebook

    return parse_rulebook(rulebook_text(n), f"<synthetic-{n}>")


def padded_facts(base: list[Fact], n: int, seed: int = 7) -> list[Fact]:
    """n facts: the base state's singletons, then its AEs, labs and generated extra facts (AEs, labs, history)."""
    r = random.Random(seed)
    singles = [f for f in base if f.id in SINGLETONS]
    rest = [f for f in base if f not in singles]
    facts = (singles + rest)[:n]
    # the synthetic rules are written for the first 30 terms: pad with those, so that the number
    # of facts, not the size of the vocabulary, decides how many rules fire
    terms = list(vocab.AE_TERMS)[:30]
    i = 0
    while len(facts) < n:
        kind = i % 3
        term = r.choice(terms)
        if kind == 0:
            g = r.randint(1, 2)
            facts.append(Fact(f"x-ae-{i}", "ae", {"term": term, "area": vocab.AE_TERMS[term], "grade": g, "worst_grade": g,
                                                  "trend": "stable", "active": True, "recurrence": False, "features": [], "source": "stated"}))
        elif kind == 1:
            facts.append(Fact(f"x-lab-{i}", "lab", {"analyte": "alt", "value": 20.0 + i, "x_uln": round((20.0 + i) / 40, 4), "grade": 0, "uln": 40.0}))
        else:
            facts.append(Fact(f"x-hist-{i}", "history", {"term": term, "area": vocab.AE_TERMS[term], "grade": r.randint(1, 2), "outcome": "resolved"}))
        i += 1
    return facts
