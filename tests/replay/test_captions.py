"""Caption templates: a tiny safe grammar, filled from the Frame the screen draws."""

from __future__ import annotations

import pytest

from bntui.cli import main
from bntui.live.captions import fill, fill_values, format_value, from_frame, parse_template
from bntui.live.frame import Needs, build_frame
from bntui.live.runner import Runner
from bntui.replay.script import ScriptError, parse_script
from bntui.training.config import Config
from bntui.training.pair import Pair
from bntui.training.player import play_commands
from bntui.training.timeline import Timeline

VALUES = {"loss": 1.0986, "L6.grad_norm": 0.16, "L1.grad_norm": 2.0e-5, "twin:loss": 0.25}


def test_fields_are_filled_and_formatted() -> None:
    t = parse_template(
        "loss {loss:.2f}, L6/L1 {L6.grad_norm / L1.grad_norm:,.0f}×, twin {twin:loss}, "
        "{{braces}}, {(loss - twin:loss) * 2:.1f}, {-loss:+.1f}, {L1.grad_norm:.1e}"
    )
    assert t.names == ("loss", "L6.grad_norm", "L1.grad_norm", "twin:loss")
    assert t.fill(VALUES.get) == (
        "loss 1.10, L6/L1 8,000×, twin 0.25, {braces}, 1.7, -1.1, 2.0e-05"
    )


def test_missing_values_and_division_by_zero_fill_as_a_dash() -> None:
    t = parse_template("{val_acc:.0%} {loss / (loss - loss)}")
    assert t.fill(VALUES.get) == "— —"
    assert format_value(0.913, ".0%") == "91%" and format_value(0.00123, "") == "1.2e-03"
    assert fill_values("손실 {loss:.2f}, 없음 {acc}", {"loss": 0.5}) == "손실 0.50, 없음 —"


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ('{__import__("os").system("x")}', "unknown name '__import__'"),
        ("{loss.__class__}", "unexpected '.'"),
        ("{loss ** 2}", "expected a name, a number or '('"),
        ("{loss", "without its '}'"),
        ("a } b", "without its '{'"),
        ("{}", "empty field"),
        ("{L1.gradnorm}", "unknown layer statistic 'L1.gradnorm'"),
        ("{L99.std}", "out of range"),
        ("{(loss}", "missing ')'"),
        ("{loss:>10}", "unexpected ':'"),
        ("{" + "(" * 30 + "loss" + ")" * 30 + "}", "nested too deeply"),
    ],
)
def test_bad_templates_are_one_line_errors(text: str, part: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_template(text)
    assert part in str(info.value) and "\n" not in str(info.value)


def test_a_bad_caption_names_file_line_and_event() -> None:
    text = 'title = "t"\n[[event]]\nat = 0\n\n[[event]]\nat = 5\ncaption = "x {loss +}"\n'
    with pytest.raises(ScriptError) as info:
        parse_script(text, "lesson.toml")
    assert str(info.value).startswith("lesson.toml:5: event 2 (at 5): caption: {loss +}")
    ko = text.replace('"x {loss +}"', '"x {loss}"\ncaption_ko = "{acc}"')
    with pytest.raises(ScriptError) as info:
        parse_script(ko, "lesson.toml")
    assert "caption_ko: 'acc' is not in the English caption" in str(info.value)


def test_the_cli_exits_2_on_a_bad_template(tmp_path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[event]]\nat = 0\ncaption = "{eval(1)}"\n', encoding="utf-8")
    assert main(["replay", str(path), "--headless"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path}:1: event 1 (at 0): caption: unknown name 'eval'" in err[0]


def test_the_caption_event_quotes_the_frame_the_screen_draws() -> None:
    config = Config(samples=200, depth=3, width=8, seed=3, stats_every=5, compare="bn")
    pair = Pair(config, captions=from_frame)
    for _ in range(20):
        pair.step()
    event = pair.apply("caption loss {loss:.4f} vs {twin:loss:.4f}, L2 σ {L2.std:.3f}")
    frame = build_frame(pair.session, Needs(loss_points=40), twin=pair.twin, labels=pair.labels)
    loss, twin_loss = pair.session.last_record["loss"], pair.twin.last_record["loss"]
    std = frame.layers[1].last["std"]
    assert event.text == f"loss {loss:.4f} vs {twin_loss:.4f}, L2 σ {std:.3f}"
    assert dict(event.values) == {"loss": loss, "twin:loss": twin_loss, "L2.std": std}
    assert event.command.startswith("caption loss {loss:.4f}")  # the template, for Korean
    assert frame.caption == event.text and pair.twin.events[-1].text == event.text
    assert fill("{step}", frame)[0] == "20"


LESSON = Config(samples=200, depth=3, width=8, seed=3, stats_every=5, eval_every=10, steps=400)
TEMPLATE = "caption loss {loss:.4f}, L2 σ {L2.std:.3f}"


def _captions(session) -> list[str]:
    return [e.text for e in session.events if e.kind == "caption"]


def test_a_rewind_inside_a_lesson_replays_its_captions_filled() -> None:
    """The caption at 251 lies between the checkpoints at 250 and 252: ``goto 252`` (the
    runner's route of ``[`` and ``:goto``) replays it, and the screen shows it filled."""
    runner = Runner(LESSON, threaded=False, schedule=[(251, TEMPLATE), (300, "bn on")])
    runner.step(320)
    (shown,) = _captions(runner.session)
    assert "{" not in shown and shown.startswith("loss ")
    assert 250 in runner.pair.timeline.steps and 251 not in runner.pair.timeline.steps
    runner.send("goto 252")
    runner.step(0)
    frame = runner.frame(Needs())
    assert frame.step == 252 and frame.travel is not None and frame.travel.in_past
    assert frame.caption == shown  # the same numbers: the replay is bit for bit
    assert _captions(runner.session) == [shown]


def test_captions_of_the_recorded_future_are_filled_on_every_route() -> None:
    """goto, playing the recorded future again, and a branch's recorded twin."""
    pair = Pair(LESSON, timeline=Timeline(base=50), captions=from_frame)
    play_commands(pair, [(30, TEMPLATE)], until=80)
    (shown,) = _captions(pair.session)
    pair.goto(40)  # restores the checkpoint at 0, replays through 30
    assert _captions(pair.session) == [shown]
    pair.goto(20)
    for _ in range(20):  # the recorded future again
        pair.step()
    assert _captions(pair.session) == [shown]
    pair.goto(20)
    pair.apply("bn on")  # a branch: the recorded future is the twin
    for _ in range(20):
        pair.step()
    assert _captions(pair.twin) == [shown]
    assert _captions(pair.session) == []  # the branch's own script has no caption


def _pair_frame(bn_first: bool, bn_ics: dict, plain_ics: dict):
    """A compare-mode frame (the parts ``frame_value`` reads): BN twin and plain twin."""
    from types import SimpleNamespace

    bn = SimpleNamespace(bn=True, ics=bn_ics, ics_from=10, twin=None)
    plain = SimpleNamespace(bn=False, ics=plain_ics, ics_from=10, twin=None)
    first, second = (bn, plain) if bn_first else (plain, bn)
    return SimpleNamespace(**{**vars(first), "twin": second})


@pytest.mark.parametrize("bn_first", [True, False])
def test_a_claim_field_quotes_the_registry_and_this_runs_outcome(bn_first: bool) -> None:
    """ics-l2 claims a smaller ‖G − G′‖ with BN, ics-cos a larger cos: the words follow
    the claim's direction, whichever twin is the primary."""
    from bntui.experiments.claims import claim

    frame = _pair_frame(
        bn_first, {"ics_l2": 0.09, "ics_cos": 0.94}, {"ics_l2": 0.07, "ics_cos": 0.64}
    )
    text, values = fill(
        "“{claim:ics-l2}”: this run {claim:ics-l2:run}; cos: {claim:ics-cos:run}.", frame
    )
    assert text == f"“{claim('ics-l2').sentence}”: this run does not agree; cos: agrees."
    assert dict(values) == {"claim:ics-l2:run": -1.0, "claim:ics-cos:run": 1.0}
    korean = fill_values("“{claim:ics-l2}”: {claim:ics-l2:run}", dict(values))
    assert korean == f"“{claim('ics-l2').sentence_ko}”: 일치하지 않습니다"


def test_a_claim_outcome_needs_a_bn_twin_and_a_plain_one() -> None:
    from types import SimpleNamespace

    solo = SimpleNamespace(bn=True, ics={"ics_cos": 0.9}, ics_from=10, twin=None)
    assert fill("{claim:ics-cos:run}", solo) == (
        "has not measured it",
        (("claim:ics-cos:run", None),),
    )
    equal = _pair_frame(True, {"ics_cos": 0.9}, {"ics_cos": 0.9})
    assert fill("{claim:ics-cos:run}", equal)[0] == "is a tie"  # tie = 0: equal is a tie
    unmeasured = _pair_frame(True, {"ics_cos": None}, {"ics_cos": 0.8})
    assert fill("{claim:ics-cos:run}", unmeasured)[0] == "has not measured it"


def test_the_pooled_ics_metric_of_a_record_leaves_layer_1_out() -> None:
    from bntui.replay.window import metric_of

    record = {"step": 10, "L1.ics_cos": 1.0, "L2.ics_cos": 0.9, "L3.ics_cos": 0.7, "loss": 1.0}
    assert metric_of(record, "ics_cos") == pytest.approx(0.8)
    assert metric_of({"step": 11, "loss": 1.0}, "ics_cos") is None
    assert metric_of({"step": 10, "twin:": record}, "twin:ics_cos") == pytest.approx(0.8)
