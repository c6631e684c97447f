"""Stacked trials (``trial_stack``): the rows ``run_trial`` gives, trial by trial, for the
trials ``bntui verify`` stacks (seeds, init scales and learning rates of one setup), and
the grouping that decides what is stacked."""

from __future__ import annotations

import pytest

from bntui.experiments import trial_stack
from bntui.experiments.trial import run_trial
from bntui.experiments.trial_stack import MAX_STACK, groups, run_stack, stack_key
from bntui.experiments.verification import claims
from bntui.experiments.verify_norms import norm_claims

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def registry():
    todo = claims(SEEDS, quick=True) + norm_claims(SEEDS, quick=True)
    return {c.key: c for c in todo}


def short(spec, steps):
    return spec | {"config": spec["config"] | {"steps": steps}}


def same_rows(specs):
    """run_stack's rows equal run_trial's, every field but the time (float32: bit for bit)."""
    alone = [run_trial(s) for s in specs]
    stacked = run_stack(specs)
    assert len(stacked) == len(specs)
    for a, b in zip(alone, stacked, strict=True):
        assert b.pop("stacked", len(specs)) == len(specs)
        a.pop("seconds"), b.pop("seconds")
        assert b == a
    return alone


@pytest.mark.parametrize("norm", ["bn", "brn", "gn", "ln", "none"])
@pytest.mark.parametrize("batch", [2, 64])
def test_small_batch_trials(registry, norm, batch) -> None:
    c = registry["small-batch"]
    rows = same_rows([short(c.specs[(norm, s, batch)], 120) for s in SEEDS])
    assert len({r["val_acc"] for r in rows}) > 1  # three seeds, three nets


def test_learning_rates_and_divergence_in_one_stack(registry) -> None:
    c = registry["lr"]
    specs = [v for k, v in c.specs.items() if k[0] == "plain" and k[1] < 2]
    assert len({stack_key(s) for s in specs}) == 1
    rows = same_rows(specs)
    diverged = [r for r in rows if r["diverged"]]
    assert diverged and all(r["steps"] < 300 for r in diverged)  # finished where it diverged
    assert any(not r["diverged"] for r in rows)


def test_target_accuracy_stops_each_trial_at_its_step(registry) -> None:
    c = registry["steps"]
    for arm in ("bn", "plain"):
        rows = same_rows([c.specs[(arm, s, None)] for s in SEEDS])
        assert all(r["steps_to_target"] == r["steps"] for r in rows)


def test_init_scales_in_one_stack(registry) -> None:
    c = registry["init"]
    specs = [short(v, 40) for k, v in c.specs.items() if k[0] == "bn" and k[1] == 0]
    assert len(specs) == 16 and len({stack_key(s) for s in specs}) == 1
    same_rows(specs)


def test_dropout_arms(registry) -> None:
    c = registry["dropout"]
    for arm in ("bn+dropout", "plain+dropout"):
        same_rows([short(c.specs[(arm, s, None)], 60) for s in SEEDS])


def test_gradient_norms_of_a_sigmoid_net(registry) -> None:
    c = registry["gradient"]
    for arm in ("bn", "plain"):
        rows = same_rows([short(c.specs[(arm, s, None)], 50) for s in SEEDS])
        assert all(r["grad_l1"] > 0 and r["grad_last"] > 0 for r in rows)


def test_noisy_bn_and_its_train_tail(registry) -> None:
    c = registry["noisy-bn"]
    for arm in ("a", "b"):
        rows = same_rows([short(c.specs[(arm, s, None)], 150) for s in SEEDS])
        assert all(0 < r["train_tail_acc"] <= 1 for r in rows)


def test_what_is_stacked(registry) -> None:
    assert all(stack_key(s) is None for s in registry["ics-l2"].specs.values())  # momentum
    for key in ("small-batch", "noisy-bn", "gradient", "gap", "dropout", "lr", "init"):
        assert all(stack_key(s) for s in registry[key].specs.values()), key
    specs = [s for c in registry.values() for s in c.specs.values()]
    specs = list({s["trial"]: s for s in specs}.values())
    tasks = groups(specs)
    assert sorted(s["trial"] for t in tasks for s in t) == sorted(s["trial"] for s in specs)
    for t in tasks:
        assert len(t) == 1 or len({stack_key(s) for s in t}) == 1
        assert len(t) <= MAX_STACK
    # small-batch: one stack per norm and batch size (its seeds)
    small = [t for t in tasks if "batch" in t[0]["params"] and len(t) > 1]
    assert len(small) == 5 * 4 and all(len(t) == len(SEEDS) for t in small)


def test_a_large_group_is_cut_evenly(registry, monkeypatch) -> None:
    monkeypatch.setattr(trial_stack, "MAX_STACK", 5)
    c = registry["init"]
    tasks = groups([v for k, v in c.specs.items() if k[0] == "bn"])  # 16 scales x 3 seeds
    assert sorted(len(t) for t in tasks) == [4] * 2 + [5] * 8


def test_mixed_or_unstackable_specs_run_one_by_one(registry) -> None:
    spec = short(registry["ics-l2"].specs[("bn", 0, None)], 30)
    other = short(registry["small-batch"].specs[("bn", 0, 64)], 30)
    rows = run_stack([spec, other])
    assert "stacked" not in rows[0] and "stacked" not in rows[1]
    assert rows[0]["trial"] == spec["trial"] and rows[1]["trial"] == other["trial"]


def test_large_training_sets_are_gathered_net_by_net(registry, monkeypatch) -> None:
    monkeypatch.setattr(trial_stack, "STACK_DATA_BYTES", 0)  # as an image set would
    c = registry["small-batch"]
    same_rows([short(c.specs[("bn", s, 64)], 40) for s in SEEDS])
