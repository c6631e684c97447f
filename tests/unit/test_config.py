"""Config: validation messages, coercion from text and TOML, round trip."""

import re

import pytest

from bntui.training.config import Config, ConfigError, coerce, field_type, load_config, parse_init


def test_defaults_are_the_documented_experiment():
    c = Config()
    assert (c.dataset, c.depth, c.width, c.activation, c.bn) == ("spiral", 4, 32, "relu", True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"depth": 33}, "depth must be in 0..32"),
        ({"width": 0}, "width must be in 1..1024"),
        ({"lr": 0.0}, "lr must be greater than 0"),
        ({"lr": -1.0}, "lr must be greater than 0"),
        ({"activation": "relux"}, "did you mean 'relu'"),
        ({"optimizer": "adamw"}, "unknown optimizer"),
        ({"dropout": 1.0}, "dropout must be in [0, 1)"),
        ({"init": "std:-1"}, "init std must be a positive number"),
        ({"init": "kaiming"}, "unknown init"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"dataset": "file"}, "needs --data PATH"),
    ],
)
def test_bad_values_name_the_field(changes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config(**changes)


def test_coerce_from_text():
    assert coerce("depth", "6") == 6
    assert coerce("bn", "off") is False
    assert coerce("lr", "1e-3") == pytest.approx(1e-3)
    assert coerce("features", "Pclass, Sex,Age") == ("Pclass", "Sex", "Age")
    assert coerce("train_size", "none") is None
    assert field_type("max_norm") is float
    with pytest.raises(ConfigError, match="depth must be a whole number"):
        coerce("depth", "4.5")
    with pytest.raises(ConfigError, match="bn must be on/off"):
        coerce("bn", "maybe")


def test_from_dict_rejects_unknown_keys_with_a_suggestion():
    with pytest.raises(ConfigError, match="unknown setting 'dept' \\(did you mean 'depth'"):
        Config.from_dict({"dept": 3}, where="x.toml")


def test_toml_round_trip(tmp_path):
    import tomli_w

    c = Config(depth=6, activation="sigmoid", bn=False, features=("a", "b"), max_norm=3.0)
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps({"config": c.to_dict()}))
    assert load_config(path) == c


def test_load_config_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("depth = [\n")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_config(bad)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")


def test_parse_init():
    assert parse_init("He") == ("he", None)
    assert parse_init("std:0.01") == ("std", 0.01)
