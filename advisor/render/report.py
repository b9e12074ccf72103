"""A self-contained report of one evaluation, for a clinician to attach to a chart.

Two formats chosen by the file's suffix: HTML (one file, inline CSS, no scripts, no external
resources: it opens in a browser with no network access) and Markdown. Both carry the same
content: the notice, the rulebook id/version/sha256, the state, derived grades, the
recommendations with rationale and full citations, warnings and assumptions, and the trace
(the same outline as `--trace`).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import DISCLAIMER, __version__, vocab
from ..advice import Advice, Recommendation
from ..atomic import write_text_atomic
from ..errors import InputError, Location
from ..explain import Node, rule_by, trace_outline
from ..textsafe import one_line, visible


@dataclass(frozen=True)
class Reference:
    id: str
    title: str
    kind: str = ""
    citation: str = ""
    url: str | None = None


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, gathered once; the HTML and Markdown writers only format it."""

    advice: Advice
    state_name: str | None
    state_text: str | None
    references: dict[str, Reference]  # every evidence id cited, in order of first citation
    rulebook_note: str  # set when the rulebook file changed since the evaluation
    generated: str


def _references(advice: Advice) -> tuple[dict[str, Reference], str]:
    cited = list(dict.fromkeys(e for r in advice.recommendations for e in r.evidence))
    evidence: dict[str, Any] = {}
    note = ""
    try:
        from ..evaluate import get_rulebook

        rb = get_rulebook(advice.rulebook.source)
        evidence = rb.evidence
        if rb.sha256 != advice.rulebook.sha256:
            note = "The rulebook file changed after this evaluation; citations are from its current version."
    except Exception:  # noqa: BLE001 - the report still lists titles when the rulebook cannot be reread
        note = "The rulebook could not be reread; citations show titles only."
    refs = {}
    for e in cited:
        ev = evidence.get(e)
        refs[e] = (Reference(e, ev.title, ev.kind, ev.citation, ev.url) if ev is not None
                   else Reference(e, advice.evidence_titles.get(e, e)))
    return refs, note


def gather(advice: Advice, state_path: Path | None = None) -> ReportData:
    text = None
    if state_path is not None:
        from ..yamlio import read_text

        try:
            text = read_text(state_path)  # the same checks as the evaluation's read (regular file, size)
        except InputError:
            text = None
    refs, note = _references(advice)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ReportData(advice, str(state_path) if state_path else None, text, refs, note, now)


def _label(r: Recommendation) -> str:
    return r.action.replace("_", " ")


def _by(r: Recommendation) -> str:
    return rule_by(r)


def _human(v: Any) -> str:
    if isinstance(v, list):
        if all(isinstance(x, dict) and "after_days" in x for x in v):  # a titration plan
            return ", then ".join(f"{x.get('dose_mg')} mg/d after {x['after_days']} days" for x in v)
        return ", ".join(_human(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_human(x)}" for k, x in v.items())
    return str(v).replace("_", " ") if isinstance(v, str) and " " not in v else str(v)


def _params(r: Recommendation) -> str:
    """Parameters for a reader: 'dose mg: 400; schedule: daily' (the trace keeps the exact JSON)."""
    return "; ".join(f"{k.replace('_', ' ')}: {_human(v)}" for k, v in r.params.items())


def _input_facts(advice: Advice) -> list[dict[str, Any]]:
    return next((e.data["facts"] for e in advice.trace if e.step == "input"), [])


# --------------------------------------------------------------------------- HTML
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2327;margin:0;background:#f4f5f7}
main{max-width:1040px;margin:0 auto;padding:24px 32px 40px;background:#fff;min-height:100vh;box-sizing:border-box}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid #dfe3e8}
.meta{color:#5a6470;font-size:13px;margin:0 0 12px}.meta code{font-size:12px;word-break:break-all}
.notice{border:2px solid #b35c00;background:#fff4e5;padding:10px 14px;border-radius:6px;font-weight:600;margin:12px 0}
.decision{border-left:6px solid #2e7d32;background:#eef7ef;padding:12px 16px;border-radius:4px;margin:8px 0}
.decision.hold{border-color:#c62828;background:#fdecec}
.rec{border:1px solid #dfe3e8;border-radius:6px;padding:10px 14px;margin:8px 0}
.kicker{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:#5a6470;font-weight:700}
.action{font-weight:700;font-size:16px;margin-right:6px}.params{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;color:#33414e}
.rationale{margin:6px 0}.src{font-size:13px;color:#5a6470}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e6e9ed;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.num{text-align:right}
.warn li{color:#7a4a00}
pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:4px;padding:10px;font-size:12.5px;overflow-x:auto;white-space:pre-wrap;word-break:break-word}
ol.refs li{margin:4px 0}.kind{display:inline-block;font-size:11px;text-transform:uppercase;letter-spacing:.04em;background:#e8edf3;border-radius:3px;padding:0 5px;margin-right:6px;color:#33414e}
.trace ul{list-style:none;margin:0;padding-left:18px;border-left:1px dotted #b8c0c8}
.trace>ul{border-left:none;padding-left:0}.trace li{margin:2px 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-word}
.trace>ul>li{margin-top:10px}.k-section{font-weight:700;font-family:system-ui,sans-serif;font-size:14px}
.k-rule{font-weight:700;display:inline-block;margin-top:4px}.k-asserted{color:#7b1fa2}.k-recommended{color:#2e7d32}.k-safety{color:#8a5a00}
.k-final{color:#1b5e20;font-weight:700}.k-evidence{color:#00627a;font-weight:400}.k-note{color:#6b7580}.k-assumption{color:#8a5a00}
footer{margin-top:32px;color:#5a6470;font-size:12px}
@media print{body{background:#fff}main{padding:0}}
"""


def _e(s: Any) -> str:
    return html.escape(visible(s), quote=True)


def _html_node(n: Node) -> str:
    inner = "".join(f'<li><span class="k-{_e(c.kind)}">{_e(c.text)}</span>{_html_node(c)}</li>' for c in n.children)
    return f"<ul>{inner}</ul>" if inner else ""


def _html_rec(r: Recommendation, refs: dict[str, Reference], cls: str) -> str:
    num = {e: i for i, e in enumerate(refs, 1)}
    cites = "; ".join(f'[{num[e]}] {_e(refs[e].title)} <span class="src">({_e(e)})</span>' for e in r.evidence if e in refs)
    params = f' <span class="params">{_e(_params(r))}</span>' if r.params else ""
    head = '<div class="kicker">Dosing decision</div>' if cls.startswith("decision") else ""
    return (f'<div class="{cls}" data-action="{_e(r.action)}">{head}<div><span class="action">{_e(_label(r))}</span>'
            f'{params}</div><div class="rationale">{_e(r.rationale)}</div>'
            f'<div class="src">Evidence: {cites or "none"}<br>Rule: {_e(_by(r))} &middot; code <code>{_e(r.action)}</code>'
            f' &middot; {_e(vocab.ACTIONS[r.action].meaning) if r.action in vocab.ACTIONS else ""}</div></div>')


def render_html(d: ReportData) -> str:
    a = d.advice
    rb = a.rulebook
    dosing = a.dosing
    hold = dosing.action in vocab.STOPPING_ACTIONS
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Imatinib advisor report</title>", f"<style>{_CSS}</style></head><body><main>",
        "<h1>Imatinib advisor report</h1>",
        f'<p class="meta">Generated {_e(d.generated)} by imatinib-advisor {_e(__version__)} &middot; '
        f"rulebook <b>{_e(rb.id)}</b> version <b>{_e(rb.version)}</b> &middot; sha256 <code>{_e(rb.sha256)}</code>"
        + (f" &middot; state file <code>{_e(d.state_name)}</code>" if d.state_name else "") + "</p>",
        f'<p class="notice" id="notice">{_e(DISCLAIMER)}</p>',
    ]
    if d.rulebook_note:
        parts.append(f'<p class="notice">{_e(d.rulebook_note)}</p>')
    parts.append('<section id="recommendations"><h2>Recommendations</h2>')
    parts.append(_html_rec(dosing, d.references, "decision hold" if hold else "decision"))
    for r in a.recommendations:
        if r is not dosing:
            parts.append(_html_rec(r, d.references, "rec"))
    if a.no_rule_applied:
        parts.append('<p class="notice">No rule in the rulebook decides the dosing for this state: the clinician must decide.</p>')
    parts.append("</section>")
    parts.append('<section id="warnings"><h2>Warnings and assumptions</h2>')
    parts.append('<ul class="warn">' + "".join(f"<li>{_e(w)}</li>" for w in a.warnings) + "</ul>" if a.warnings else "<p>None.</p>")
    parts.append("</section>")
    parts.append('<section id="grades"><h2>Derived CTCAE v5 grades</h2>')
    if a.derived:
        rows = "".join(f'<tr><td>{_e(g.term)}</td><td class="num">{g.grade}</td><td>{_e(g.basis)}</td></tr>' for g in a.derived)
        parts.append(f"<table><thead><tr><th>term</th><th>grade</th><th>from</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        parts.append("<p>No laboratory values to grade.</p>")
    parts.append("</section>")
    parts.append('<section id="references"><h2>References</h2><ol class="refs">')
    for ref in d.references.values():
        kind = f'<span class="kind">{_e(ref.kind.replace("_", " "))}</span>' if ref.kind else ""
        url = f' <span class="src">{_e(ref.url)}</span>' if ref.url else ""
        parts.append(f'<li id="ref-{_e(ref.id)}" data-evidence="{_e(ref.id)}">{kind}<b>{_e(ref.title)}</b>. '
                     f'{_e(ref.citation)}{url} <span class="src">[{_e(ref.id)}]</span></li>')
    parts.append("</ol></section>")
    parts.append('<section id="state"><h2>Patient state</h2>')
    if d.state_text is not None:
        parts.append(f"<pre>{_e(d.state_text)}</pre>")
    facts = _input_facts(a)
    if facts:
        parts.append(f"<details{'' if d.state_text is not None else ' open'}><summary>Facts built from the state</summary><pre>"
                     + _e("\n".join(json.dumps(f, ensure_ascii=False) for f in facts)) + "</pre></details>")
    parts.append("</section>")
    parts.append(f'<section id="trace" class="trace"><h2>Trace of the rule run</h2>{_html_node(trace_outline(a, {k: r.title for k, r in d.references.items()}))}</section>')
    parts.append(f'<footer><p class="notice">{_e(DISCLAIMER)}</p>'
                 f"<p>Rulebook {_e(rb.id)} {_e(rb.version)}, sha256 {_e(rb.sha256)}.</p></footer>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- Markdown
# Inline Markdown from input shows as written: these marks could open emphasis, code, links
# or images, tables or strikethrough, so each is backslash-escaped; so is a "<" that could
# open raw HTML or an autolink and a "&" that could spell an entity. The file keeps the
# characters themselves ("ANC < 1.0", never "ANC &lt; 1.0"). Line breaks become spaces (a
# new line could start a heading or a fence).
_MD_INLINE = {c: "\\" + c for c in "\\`*_[]|~"}
_MD_TAG_OR_ENTITY = re.compile(r"<(?=[A-Za-z/!?])|&(?=[A-Za-z0-9#])")
_MD_BLOCK_START = re.compile(r"^(?:#{1,6}|[+-]|\d{1,9}[.)])(?=\s|$)|^>")  # a heading, list or quote at a line start


def _md(s: Any) -> str:
    text = "".join(_MD_INLINE.get(c, c) for c in one_line(s).strip())
    text = _MD_TAG_OR_ENTITY.sub(lambda m: "\\" + m.group(), text)
    m = _MD_BLOCK_START.match(text)
    if m:  # "- # x" would be a heading inside the list item: escape the mark
        mark = m.group()
        text = (mark[:-1] + "\\" + mark[-1]) + text[len(mark):]
    return text


def _code(s: Any) -> str:
    """An inline code span that input cannot close: the fence is longer than any backtick run inside."""
    text = one_line(s)
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fenced(text: str, info: str) -> list[str]:
    """A fenced code block that input cannot close: the fence is longer than any backtick run inside."""
    body = visible(text).rstrip("\n")
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", body)), default=0) + 1)
    return [f"{fence}{info}", body, fence]


def _md_node(n: Node, depth: int = 0) -> list[str]:
    out = []
    for c in n.children:
        out.append("  " * depth + f"- {_md(c.text)}")
        out.extend(_md_node(c, depth + 1))
    return out


def render_markdown(d: ReportData) -> str:
    a = d.advice
    rb = a.rulebook
    num = {e: i for i, e in enumerate(d.references, 1)}
    lines = ["# Imatinib advisor report", "",
             f"> **{DISCLAIMER}**", "",
             f"Generated {d.generated} by imatinib-advisor {__version__}; rulebook **{_md(rb.id)}** version **{_md(rb.version)}**, "
             f"sha256 {_code(rb.sha256)}" + (f"; state file {_code(d.state_name)}" if d.state_name else "") + ".", ""]
    if d.rulebook_note:
        lines += [f"> {_md(d.rulebook_note)}", ""]
    lines += ["## Recommendations", ""]
    dosing = a.dosing
    for r in [dosing] + [r for r in a.recommendations if r is not dosing]:
        head = "Dosing decision: " if r is dosing else ""
        lines.append(f"- **{head}{_md(_label(r))}**" + (f" ({_md(_params(r))})" if r.params else ""))
        lines.append(f"  - {_md(r.rationale)}")
        cites = "; ".join(f"[{num[e]}] {_md(d.references[e].title)} ({_md(e)})" for e in r.evidence if e in d.references)
        lines.append(f"  - Evidence: {cites or 'none'}")
        lines.append(f"  - Rule: {_md(_by(r))}; action code {_code(r.action)}")
    lines += ["", "## Warnings and assumptions", ""]
    lines += [f"- {_md(w)}" for w in a.warnings] or ["None."]
    lines += ["", "## Derived CTCAE v5 grades", ""]
    if a.derived:
        lines += ["| term | grade | from |", "|---|---:|---|"]
        lines += [f"| {_md(g.term)} | {g.grade} | {_md(g.basis)} |" for g in a.derived]
    else:
        lines.append("No laboratory values to grade.")
    lines += ["", "## References", ""]
    for ref in d.references.values():
        kind = f"({_md(ref.kind.replace('_', ' '))}) " if ref.kind else ""
        url = f" {_code(ref.url)}" if ref.url else ""  # shown, not a link
        lines.append(f"{num[ref.id]}. {kind}**{_md(ref.title)}**. {_md(ref.citation)}{url} [{_md(ref.id)}]")
    lines += ["", "## Patient state", ""]
    if d.state_text is not None:
        lines += _fenced(d.state_text, "yaml") + [""]
    facts = _input_facts(a)
    if facts:
        lines += ["Facts built from the state:", ""] + _fenced("\n".join(json.dumps(f, ensure_ascii=False) for f in facts), "json") + [""]
    lines += ["## Trace of the rule run", ""]
    lines += _md_node(trace_outline(a, {k: r.title for k, r in d.references.items()}))
    lines += ["", "---", "", f"**{DISCLAIMER}**", ""]
    return "\n".join(lines)


WRITERS: dict[str, Callable[[ReportData], str]] = {".html": render_html, ".htm": render_html, ".md": render_markdown,
                                                    ".markdown": render_markdown}


def write_report(advice: Advice, path: str | Path, state_path: Path | None = None) -> None:
    """Write the report to `path`; the suffix (.html, .md) chooses the format."""
    p = Path(path)
    writer = WRITERS.get(p.suffix.lower())
    if writer is None:
        raise InputError(f"unknown report format '{p.suffix or '(no suffix)'}'{vocab.suggest(p.suffix.lower(), WRITERS)}; "
                         "use a file ending in .html or .md", Location(str(p)))
    inputs = [x for x in (state_path, advice.rulebook.source) if x]
    write_text_atomic(p, writer(gather(advice, state_path)), inputs=inputs)
