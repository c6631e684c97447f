"""NetSpec: the network's settings in one record, read by name from Config."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bntui.nn import MLP, NET_SETTINGS, NetSpec, NNError
from bntui.training.config import Config


def rngs() -> dict[str, np.random.Generator]:
    return {"rng": np.random.default_rng(0), "dropout_rng": np.random.default_rng(1)}


def test_every_network_setting_is_a_config_field_of_the_same_name() -> None:
    config_fields = {f.name for f in dataclasses.fields(Config)}
    assert set(NET_SETTINGS) <= config_fields
    c = Config(depth=6, width=16, activation="tanh", norm="gn:2", dropout=0.3, init="xavier")
    spec = c.net_spec()
    assert (spec.depth, spec.width, spec.activation, spec.norm) == (6, 16, "tanh", "gn:2")
    assert (spec.dropout, spec.init) == (0.3, "xavier")
    assert Config(bn=False, norm="ln").net_spec().norm == "none"  # --no-bn wins


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"depth": -1}, "depth"),
        ({"width": 0}, "width"),
        ({"activation": "swish"}, "activation"),
        ({"norm": "gn:5"}, "group"),  # 5 groups do not divide 32 units
        ({"bn_position": "middle"}, "before"),
        ({"bn_momentum": 0.0}, "momentum"),
        ({"bn_eps": 0.0}, "eps"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout_style": "never"}, "dropout style"),
        ({"init": "std:-1"}, "std"),
        ({"weight_decay": -0.1}, "weight decay"),
        ({"l1": float("nan")}, "l1"),
    ],
)
def test_bad_settings_are_refused_with_the_setting_named(change: dict, message: str) -> None:
    with pytest.raises(NNError, match=message):
        NetSpec(**change)
    with pytest.raises(NNError, match=message):  # and an edit of a good spec is refused whole
        NetSpec().replace(**change)


def test_group_norm_is_kept_canonical() -> None:
    assert NetSpec(norm="gn").norm == "gn:4"
    assert NetSpec(width=8).replace(norm="gn:2").norm == "gn:2"


def test_the_mlp_is_built_from_its_spec_and_edits_replace_it() -> None:
    m = MLP(2, 3, NetSpec(depth=2, width=8, activation="sigmoid"), **rngs())
    assert m.spec == NetSpec(depth=2, width=8, activation="sigmoid")
    assert [b.linear.W.data.shape for b in m.blocks] == [(2, 8), (8, 8)]
    before = m.spec
    m.add_layer(np.random.default_rng(2))
    m.set_width(4, np.random.default_rng(3))
    m.set_norm("ln")
    assert m.spec == before.replace(depth=3, width=4, norm="ln")
    assert before.depth == 2  # the old record is untouched (frozen)
    with pytest.raises(NNError):
        m.set_norm("gn:3")  # 3 groups do not divide 4: nothing changes
    assert m.spec.norm == "ln"


def test_keyword_settings_still_read_as_the_textbook() -> None:
    m = MLP(2, 3, depth=1, width=4, bn=False, **rngs())
    assert m.spec == NetSpec(depth=1, width=4, norm="none")
    with pytest.raises(NNError, match="unknown setting"):
        MLP(2, 3, depht=1, **rngs())
