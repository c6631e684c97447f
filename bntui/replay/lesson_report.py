"""The files of a headless replay: metrics.jsonl, events.jsonl and report.md (every
check, the figures at each event, the last statistics of every layer).

Lesson text in the report is untrusted: it goes through ``bntui.safety.md_text``.
"""

from __future__ import annotations

import math
from pathlib import Path

from bntui.export import ExportError, MetricsWriter, check_target, dumps_record, write_text
from bntui.replay.headless import ReplayResult
from bntui.replay.window import unwrapped
from bntui.safety import md_text


# ---------------------------------------------------------------------- files
def write_outputs(
    result: ReplayResult, out_dir: str | Path, *, force: bool = False, metrics_written: bool = False
) -> list[Path]:
    """Write metrics.jsonl, events.jsonl and report.md into ``out_dir`` (created if needed)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a directory")
    targets = [out / "metrics.jsonl", out / "events.jsonl", out / "report.md"]
    if out.is_dir():
        for t in targets[metrics_written:]:
            check_target(t, force=force)
    else:
        try:
            out.mkdir(parents=True)
        except OSError as exc:
            raise ExportError(f"{out}: cannot create ({exc.strerror or exc})") from None
    if not metrics_written:  # else streamed while training (run_script's on_record)
        with MetricsWriter(targets[0], force=force) as writer:
            writer.write_many(unwrapped(result.records))
    events = "".join(dumps_record(e.to_dict()) + "\n" for e in result.session.events)
    write_text(targets[1], events, force=force)
    write_text(targets[2], report_markdown(result), force=force)
    return targets


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "–"
    if math.isnan(value):
        return "NaN"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.2e}"
    return f"{value:.{digits}g}"


def _cell(text: str) -> str:
    return md_text(text).replace("\n", " ").replace("|", "\\|")


def report_markdown(result: ReplayResult) -> str:
    """The lesson's report: description, timeline of captions, figures, checks, screenshots."""
    script, session = result.script, result.session
    lines = [f"# {md_text(script.title)}", ""]
    if script.description:
        lines += [md_text(script.description), ""]
    changed = script.config.to_dict(only_changed=True)
    settings = ", ".join(f"`{k} = {v!r}`" for k, v in changed.items()) or "defaults"
    lines += [
        f"Script: `{script.source}`  ",
        f"Settings: {settings}  ",
        f"Played: {session.step_count:,} of {result.steps:,} steps, seed {script.config.seed}",
        "",
        "## Timeline",
        "",
        "| step | commands | caption |",
        "|---:|---|---|",
    ]
    played = [e for e in script.events if e not in result.skipped]
    filled = {id(e): en for e, en, _ko in result.captions}  # as filled at its step
    for e in played:
        caption = _cell(filled.get(id(e), e.caption or ""))
        lines.append(f"| {e.at:,} | {_cell(', '.join(e.do)) or '–'} | {caption} |")
    for e in result.skipped:
        do = _cell(", ".join(e.do))
        lines.append(f"| {e.at:,} | (skipped) {do} | {_cell(e.caption or '')} |")
    depth = max((len(f.grad_norms) for f in result.figures), default=0)
    grad_cols = "".join(f" \\|∇W\\| L{i} |" for i in range(1, depth + 1))
    lines += [
        "",
        "## Figures",
        "",
        "Means over the steps before each event (its `window`, 100 by default); train loss/acc",
        "are per batch, val loss/acc from the evaluations (eval mode) in that window.",
        "",
        "| at | step | setup | loss | acc | val loss | val acc |" + grad_cols,
        "|---|---:|---|---:|---:|---:|---:|" + "---:|" * depth,
    ]
    for f in result.figures:
        v = f.values
        grads = "".join(f" {_fmt(g, 3)} |" for g in f.grad_norms)
        grads += " |" * (depth - len(f.grad_norms))
        lines.append(
            f"| {f.label} | {f.step:,} | {_cell(f.setup)} | {_fmt(v['loss'])} | {_fmt(v['acc'])} "
            f"| {_fmt(v['val_loss'])} | {_fmt(v['val_acc'])} |" + grads
        )
    lines += _layer_table(result)
    lines += ["", "## Checks", ""]
    if result.checks:
        lines += ["| event | step | check | measured | result |", "|---|---:|---|---:|---|"]
        for c in result.checks:
            verdict = "pass" if c.passed else "**FAIL**"
            note = f" ({c.note})" if c.note else ""
            lines.append(
                f"| {c.event.index} | {c.event.at:,} | `{_cell(str(c.check))}` "
                f"| {_fmt(c.measured)} | {verdict}{note} |"
            )
        passed = sum(c.passed for c in result.checks)
        lines += ["", f"{passed} of {len(result.checks)} checks passed."]
    else:
        lines.append("No checks in this script.")
    lines += _questions(result)
    if result.screenshots:
        lines += ["", "## Screenshots", ""]
        for e, status in result.screenshots:
            lines.append(f"- `{e.screenshot}` (event {e.index}, step {e.at:,}): {md_text(status)}")
    if result.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def _questions(result: ReplayResult) -> list[str]:
    """Each question, its choices, the lesson's answer and whether the run showed it;
    with ``--answers``, the answer given and the score."""
    if not result.asked:
        return []
    out = ["", "## Questions", ""]
    answered = any(a.given is not None for a in result.asked)
    for a in result.asked:
        q = a.event.question
        assert q is not None
        out.append(f"{a.number}. (step {a.event.at:,}, revealed at {q.reveal:,}) {md_text(q.text)}")
        for i, choice in enumerate(q.choices, start=1):
            mark = " ← expected" if i == q.answer else ""
            out.append(f"   {i}. {md_text(choice)}{mark}")
        checks = ", ".join(f"`{_cell(str(c.check))}` = {_fmt(c.measured)}" for c in a.checks)
        shown = "the run showed it" if a.shown else "**the run did not show it**"
        out.append(f"   Expected answer {q.answer}: {shown} ({checks or 'not measured'}).")
        if a.given is not None:
            verdict = "right" if q.is_right(a.given) else "**wrong**"
            out.append(f"   Answered {a.given}: {verdict}.")
        out.append(f"   Why: {md_text(q.explain)}")
        out.append("")
    if answered:
        right = sum(a.event.question.is_right(a.given) for a in result.asked)  # type: ignore[union-attr]
        out.append(f"{right} of {len(result.asked)} predictions right.")
    else:
        out.append("Not answered (`--answers 1,2,…` answers them).")
    return out


def _layer_table(result: ReplayResult) -> list[str]:
    last = getattr(result.records, "last_with_layers", None)
    if last is None:
        last = next((r for r in reversed(result.records) if r.get("layers")), None)
    if last is None:
        return []
    out = [
        "",
        f"### Hidden layers at step {last['step']:,}",
        "",
        "| layer | act-in μ | σ | p15 | p50 | p85 | \\|∇W\\| | upd log10 | sat/dead |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, s in enumerate(last["layers"], start=1):
        out.append(
            f"| L{i} | {_fmt(s['mean'], 3)} | {_fmt(s['std'], 3)} | {_fmt(s['p15'], 3)} "
            f"| {_fmt(s['p50'], 3)} | {_fmt(s['p85'], 3)} | {_fmt(s['grad_norm'], 3)} "
            f"| {_fmt(s['update'], 3)} | {_fmt(s['sat'], 2)} |"
        )
    return out
