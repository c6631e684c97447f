"""--data-seed / --init-seed / --order-seed: each stream from its own seed (default --seed)."""

import numpy as np
import pytest

from bntui.cli import main
from bntui.training.config import Config, ConfigError
from bntui.training.session import Session


def weights(s):
    return [p.data.copy() for p in s.model.parameters()]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_data_seed_holds_the_split_while_the_init_varies():
    s0, s5 = Session(Config(seed=0)), Session(Config(seed=5))
    mixed = Session(Config(seed=5, data_seed=0))
    np.testing.assert_array_equal(mixed.data.x_train, s0.data.x_train)
    np.testing.assert_array_equal(mixed.data.y_val, s0.data.y_val)
    assert same(weights(mixed), weights(s5)) and not same(weights(mixed), weights(s0))


def test_init_seed_holds_the_weights_while_the_data_varies():
    s0, s5 = Session(Config(seed=0)), Session(Config(seed=5))
    mixed = Session(Config(seed=5, init_seed=0))
    assert same(weights(mixed), weights(s0))
    np.testing.assert_array_equal(mixed.data.x_train, s5.data.x_train)
    assert not np.array_equal(mixed.data.x_train, s0.data.x_train)


def test_each_stream_is_the_one_its_seed_would_give():
    # data and init from 0, order from 1, either way round: identical training
    a = Session(Config(seed=0, order_seed=1, eval_every=10))
    b = Session(Config(seed=1, data_seed=0, init_seed=0, eval_every=10))
    a.run(30)
    b.run(30)
    assert a.last_record == b.last_record
    c = Session(Config(seed=0, eval_every=10))
    c.run(30)
    assert c.last_record["loss"] != a.last_record["loss"]  # the order did change
    assert Session(Config(seed=3, data_seed=3)).data.x_train.tobytes() == (
        Session(Config(seed=3)).data.x_train.tobytes()
    )


def test_bad_stream_seeds(capsys):
    with pytest.raises(ConfigError, match="data-seed must be a non-negative"):
        Config(data_seed=-1)
    code = main(["run", "--order-seed", "x", "--steps", "1", "-q"])
    _, err = capsys.readouterr()
    assert code == 2 and "order-seed must be a whole number" in err and err.count("\n") == 1
