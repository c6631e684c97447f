"""Property tests: any sequence of commands, applied at random steps, keeps a Session sane.

Invariants checked after every step and every command:
- parameter shapes match the config (depth, width, input and output dims; BN iff config.bn);
- nothing but CommandError escapes ``Session.apply`` and nothing escapes ``Session.step``;
- the last loss is finite, or the session says it diverged;
- BN running variances stay positive (while the session has not diverged);
- replaying ``session.log`` from ``session.initial_config`` gives byte-identical metrics.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bntui.export import dumps_record
from bntui.nn.names import BATCH_NORMS
from bntui.nn.norm_layers import parse_norm
from bntui.training.commands import VOCABULARY, CommandError
from bntui.training.config import ACTIVATIONS, OPTIMIZERS, Config
from bntui.training.session import Session

PROFILE = settings(settings.get_profile("bntui-reliability"), max_examples=300)

# --------------------------------------------------------------------------- strategies
_number = st.sampled_from(["0", "1", "2", "0.5", "1e-3", "10", "1e3", "*2", "/2", "*0.5"])


def _command_texts() -> st.SearchStrategy[str]:
    """Command lines over the whole vocabulary, valid ones mostly, some that do not fit."""
    per_verb = {
        "bn": st.sampled_from(["on", "off", "toggle"]),
        "bn-position": st.sampled_from(["before", "after", "toggle"]),
        # gn:G that does not divide the width (and width edits under it) must be refused
        "norm": st.sampled_from(["bn", "ln", "gn", "gn:2", "gn:3", "brn", "noisy-bn", "none"])
        | st.sampled_from(["next", "prev", "lnn", "gn:0"]),
        "activation": st.sampled_from([*ACTIVATIONS, "next", "prev", "leaky-relu"]),
        # depth and width beyond their ranges must be refused with CommandError
        "depth": st.sampled_from(["0", "1", "2", "3", "+1", "-1", "+40", "-5", "*2", "/2"]),
        "width": st.sampled_from(["1", "2", "8", "16", "*2", "/2", "/64", "*200", "+1", "-1"]),
        "lr": st.sampled_from(["0.01", "0.1", "1", "*2", "/2", "*10", "/1000", "1e6"]),
        "optimizer": st.sampled_from([*OPTIMIZERS, "next", "prev"]),
        "init": st.sampled_from(["he", "xavier", "std:1", "std:0.01", "std:100", "next", "prev"]),
        "weight-decay": _number,
        "l1": st.sampled_from(["0", "1e-4", "0.01", "*2"]),
        "max-norm": st.sampled_from(["off", "1", "3", "0.1", "*2", "/2"]),
        "dropout": st.sampled_from(["0", "0.1", "0.5", "0.9", "next", "prev", "*2", "*20"]),
        "batch-size": st.sampled_from(["1", "2", "16", "*2", "/2", "/100", "+1", "-1", "-100"]),
        # mnist is not downloaded in these tests: the command must be refused, not crash
        "dataset": st.sampled_from(["spiral", "moons", "xor", "blobs", "next", "prev", "mnist"]),
        "seed": st.sampled_from(["0", "1", "7", "123456789"]),
        "reset": st.just(""),
        "mark": st.sampled_from(["here", "BN 켜기", "a b  c"]),
        "caption": st.sampled_from(["정규화 없이", "look at L2"]),
        # a display setting: the session refuses it (CommandError), the app applies it
        "lang": st.sampled_from(["en", "ko"]),
        # a solo Session refuses compare (the runner's Pair owns the twins)
        "compare": st.sampled_from(["on", "off", "lr 0.5", "width 8"]),
        "ics-every": st.sampled_from(["off", "1", "3", "0"]),
        "smooth-every": st.sampled_from(["off", "2"]),
        # a solo Session refuses goto (the Pair owns the timeline)
        "goto": st.sampled_from(["0", "5"]),
    }
    assert set(per_verb) == set(VOCABULARY), "new verb: add it to the property test"
    return st.sampled_from(sorted(per_verb)).flatmap(
        lambda verb: per_verb[verb].map(lambda arg: f"{verb} {arg}".strip())
    )


configs = st.builds(
    Config,
    dataset=st.sampled_from(["spiral", "moons", "circles", "xor", "blobs"]),
    samples=st.just(200),
    depth=st.integers(0, 3),
    width=st.sampled_from([1, 3, 8, 16]),
    activation=st.sampled_from(ACTIVATIONS),
    bn=st.booleans(),
    bn_position=st.sampled_from(["before", "after"]),
    dropout=st.sampled_from([0.0, 0.2]),
    init=st.sampled_from(["he", "xavier", "std:0.01", "std:1"]),
    optimizer=st.sampled_from(OPTIMIZERS),
    lr=st.sampled_from([0.01, 0.1, 1.0]),
    batch_size=st.sampled_from([1, 2, 16]),
    seed=st.integers(0, 2**32 - 1),
    eval_every=st.sampled_from([3, 7]),
    stats_every=st.sampled_from([1, 4]),
    patience=st.sampled_from([None, 2]),
    dtype=st.sampled_from(["float32", "float64"]),
)

programs = st.lists(st.tuples(st.integers(0, 10), _command_texts()), min_size=1, max_size=20)


# --------------------------------------------------------------------------- invariants
def check_invariants(s: Session) -> None:
    """The structural and numerical promises a Session keeps between steps."""
    c, m = s.config, s.model
    assert m.depth == c.depth == len(m.blocks)
    norm = parse_norm(c.normalization)
    assert m.spec == c.net_spec() and parse_norm(m.spec.norm) == norm
    assert m.spec.width == c.width and m.spec.activation == c.activation
    assert m.bn == (norm[0] == "bn")
    fan_in = s.data.input_dim
    for block in m.blocks:
        assert block.linear.W.data.shape == (fan_in, c.width)
        assert (block.norm is not None) == (norm[0] != "none")
        assert (block.bn is not None) == (norm[0] in BATCH_NORMS)
        if block.norm is not None:
            assert block.norm.gamma.data.shape == block.norm.beta.data.shape == (c.width,)
        if block.bn is not None:
            assert block.bn.running_var.shape == (c.width,)
            if not s.diverged:
                assert np.all(block.bn.running_var > 0), "BN running variance must stay > 0"
        assert (block.dropout is not None) == (c.dropout > 0)
        fan_in = c.width
    assert m.head.W.data.shape == (fan_in, s.data.n_classes)
    for p in m.parameters():
        assert p.grad.shape == p.data.shape
        assert p.data.dtype == np.dtype(c.dtype)
    if s.last_record is not None and not s.diverged:
        assert math.isfinite(s.last_record["loss"]), "a non-finite loss must flag divergence"


def drive(config: Config, program: list[tuple[int, str]]) -> tuple[Session, list[str]]:
    """Run the program like the runner does: train unless diverged/stopped, apply commands."""
    s = Session(config, history_capacity=64)
    lines: list[str] = []
    for steps, text in program:
        for _ in range(steps):
            if s.diverged or s.stopped_early:
                break
            lines.append(dumps_record(s.step()))
            check_invariants(s)
        before = (s.config, len(s.log))
        try:
            s.apply(text)
        except CommandError as exc:
            assert str(exc) and "\n" not in str(exc)
            assert (s.config, len(s.log)) == before, "a refused command must change nothing"
        check_invariants(s)
    for _ in range(3):
        if not (s.diverged or s.stopped_early):
            lines.append(dumps_record(s.step()))
            check_invariants(s)
    return s, lines


def replay(s: Session) -> list[str]:
    """Replay ``s.log`` from ``s.initial_config``, stepping to the same step count."""
    r = Session(s.initial_config, history_capacity=64)
    pending = list(s.log)
    lines: list[str] = []
    while True:
        while pending and pending[0][0] == r.step_count:
            r.apply(pending.pop(0)[1])
        if r.step_count >= s.step_count:
            break
        lines.append(dumps_record(r.step()))
    assert not pending
    return lines


@PROFILE
@given(config=configs, program=programs)
def test_any_command_sequence_keeps_invariants_and_replays(config, program):
    s, lines = drive(config, program)
    assert s.step_count == len(lines)
    assert replay(s) == lines, "replaying the log must reproduce the metrics byte for byte"


@PROFILE
@given(config=configs, program=programs)
def test_refused_commands_are_not_logged(config, program):
    """Every log entry parses and re-applies; the log holds only commands that took effect."""
    s, _ = drive(config, program)
    applied = [t for _, t in s.log]
    assert all(isinstance(t, str) and t for t in applied)
    kinds = [e.kind for e in s.events if e.command]
    assert len(kinds) == len(applied)
