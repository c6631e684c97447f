"""What a sweep runs: --param/--random parsing, grids, draws and stable trial ids."""

import pytest

from bntui.experiments.space import (
    SweepError,
    make_config,
    parse_param,
    parse_random,
    points,
    trial_id,
)
from bntui.experiments.sweeping import plan
from bntui.training.config import Config


def test_param_values_take_the_settings_type():
    assert parse_param("init=std:1,std:0.1") == ("init", ["std:1", "std:0.1"])
    assert parse_param("bn=on,off") == ("bn", [True, False])
    assert parse_param("batch-size=16,64") == ("batch_size", [16, 64])
    assert parse_param("lr=0.1, 0.1 ,1") == ("lr", [0.1, 1.0])  # duplicates once


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lrr=0.1", "did you mean 'lr'"),
        ("lr", "KEY=V1,V2"),
        ("lr=", "KEY=V1,V2"),
        ("depth=two", "depth must be a whole number"),
        ("lr=0.1,,1", "empty value"),
        ("seed=1,2", "--seeds"),
        ("features=a,b", "cannot be swept"),
    ],
)
def test_bad_params_say_what_is_wrong(text, message):
    with pytest.raises(SweepError, match=message):
        parse_param(text)


def test_random_specs():
    r = parse_random("lr=loguniform:1e-4:1")
    assert (r.key, r.kind, r.lo, r.hi) == ("lr", "loguniform", 1e-4, 1.0)
    assert parse_random("activation=choice:relu,tanh").choices == ("relu", "tanh")
    for bad in ("lr=normal:0:1", "lr=loguniform:0:1", "lr=uniform:2:1", "activation=uniform:0:1",
                "lr=uniform:a:b", "lr"):  # fmt: skip
        with pytest.raises(SweepError):
            parse_random(bad)


def test_grid_is_the_product_and_random_draws_repeat():
    grid = [parse_param("init=std:1,std:0.1"), parse_param("bn=on,off")]
    assert points(grid, [], 0, 0) == [
        {"init": "std:1", "bn": True},
        {"init": "std:1", "bn": False},
        {"init": "std:0.1", "bn": True},
        {"init": "std:0.1", "bn": False},
    ]
    lr = parse_random("lr=loguniform:1e-4:1")
    wd = parse_random("weight-decay=uniform:0:0.1")
    first = points([parse_param("bn=on,off")], [lr, wd], 10, 3)
    assert len(first) == 20
    assert first == points([parse_param("bn=on,off")], [lr, wd], 10, 3)  # same seed, same draws
    assert first != points([parse_param("bn=on,off")], [lr, wd], 10, 4)
    assert all(1e-4 <= p["lr"] <= 1 and 0 <= p["weight_decay"] <= 0.1 for p in first)
    assert len({p["lr"] for p in first}) == 10
    with pytest.raises(SweepError, match="--trials"):
        points([], [lr], 0, 0)
    with pytest.raises(SweepError, match="twice"):
        points([parse_param("lr=1,2")], [lr], 3, 0)


def test_trial_ids_are_stable_and_distinct():
    a = Config(init="std:0.1", seed=1)
    assert trial_id(a) == trial_id(Config(init="std:0.1", seed=1))
    assert len(trial_id(a)) == 16 and int(trial_id(a), 16) >= 0
    assert trial_id(a) != trial_id(a.replace(seed=2))
    assert trial_id(a) != trial_id(a.replace(steps=10))
    assert trial_id(a) != trial_id(a, {"ics": 256})


def test_plan_covers_every_setting_and_seed():
    base = Config(seed=5, steps=10)
    p = plan(base, [parse_param("bn=on,off")], [], trials=0, seeds=3)
    assert len(p.specs) == 6 and p.keys == ["bn"]
    assert sorted({s["config"]["seed"] for s in p.specs}) == [5, 6, 7]
    assert len({s["trial"] for s in p.specs}) == 6
    with pytest.raises(SweepError, match="nothing to sweep"):
        plan(base, [], [], trials=0, seeds=1)
    with pytest.raises(SweepError, match="seeds"):
        plan(base, [], [], trials=0, seeds=0)
    with pytest.raises(SweepError, match="width must be"):  # checked before anything runs
        make_config(base, {"width": 0}, 0)
