"""Fuzzing the parsers: arbitrary text either parses or raises the project's own error.

The error types are ``CommandError`` (commands), ``ScriptError`` (replay scripts),
``ConfigError`` (config values and TOML files) and the CLI's ``UsageError``; each must
carry a non-empty one-line message. Anything else escaping is a bug.
"""

from __future__ import annotations

import string

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from bntui.cli import UsageError, build_parser, config_from_args
from bntui.replay.script import EVENT_KEYS, TOP_KEYS, Script, ScriptError, parse_script
from bntui.training.commands import VOCABULARY, Command, CommandError, parse
from bntui.training.config import CONFIG_DEFAULTS, Config, ConfigError

PROFILE = settings(settings.get_profile("bntui-reliability"), max_examples=400)


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} without a message"
    assert "\n" not in message, f"message is not one line: {message!r}"
    return message


# --------------------------------------------------------------------------- commands
_verbs = [*sorted(VOCABULARY), "act", "opt", "wd", "pos", "data", "label", "batchnorm"]
_arg_alphabet = string.ascii_letters + string.digits + " +-*/.:eE_\t\n\x00é한"
command_like = st.one_of(
    st.text(max_size=40),
    st.tuples(st.sampled_from(_verbs), st.text(_arg_alphabet, max_size=16)).map(" ".join),
    st.tuples(
        st.sampled_from(_verbs),
        st.sampled_from(["", "+", "-", "*", "/", "std:"]),
        st.one_of(
            st.integers(-(10**20), 10**20).map(str),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.sampled_from(["nan", "inf", "-inf", "1e309", "0x10", "1_000", "٣", "²"]),
        ),
    ).map(lambda t: f"{t[0]} {t[1]}{t[2]}"),
)


@PROFILE
@given(command_like)
def test_command_parser_parses_or_raises_command_error(text):
    try:
        cmd = parse(text)
    except CommandError as exc:
        one_line(exc)
        return
    assert isinstance(cmd, Command) and cmd.verb in VOCABULARY
    # the normalized text is a fixed point: it parses back to the same command
    assert parse(str(cmd)) == cmd
    assert "\n" not in str(cmd) and "\x00" not in cmd.verb


# --------------------------------------------------------------------------- scripts
_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["bn on", "lr *2", "depth +1", "after.svg", ">= 0.8", "< nan", "std:0"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_config_tables = st.dictionaries(
    st.sampled_from([*CONFIG_DEFAULTS, "bogus", "batch-size"]), _values, max_size=4
)
_events = st.lists(
    st.dictionaries(st.sampled_from([*EVENT_KEYS, "when"]), _values, max_size=5), max_size=4
)
script_docs = st.fixed_dictionaries(
    {},
    optional={
        "title": _values,
        "description": _values,
        "config": st.one_of(_config_tables, _values),
        "event": st.one_of(_events, _values),
        "extra": _values,
    },
)


@PROFILE
@given(script_docs)
def test_script_parser_on_structured_documents(doc):
    assert set(doc) - {"extra"} <= set(TOP_KEYS)
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):
        return  # not representable in TOML (NaN keys etc.): nothing to parse
    try:
        script = parse_script(text, "fuzz.toml")
    except ScriptError as exc:
        assert one_line(exc).startswith("fuzz.toml")
        return
    assert isinstance(script, Script) and isinstance(script.config, Config)
    ats = [e.at for e in script.events]
    assert ats == sorted(ats) and all(0 <= a <= script.config.steps for a in ats)


_toml_alphabet = string.printable + "한글é\x00\x7f"


@PROFILE
@given(st.text(_toml_alphabet, max_size=200))
def test_script_parser_on_arbitrary_text(text):
    try:
        parse_script(text, "fuzz.toml")
    except ScriptError as exc:
        one_line(exc)


@PROFILE
@given(script_docs, st.data())
def test_script_parser_on_truncated_documents(doc, data):
    """A script cut anywhere (a half-saved file) parses or gives a ScriptError."""
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):
        return
    cut = data.draw(st.integers(0, len(text)))
    try:
        parse_script(text[:cut], "cut.toml")
    except ScriptError as exc:
        one_line(exc)


# --------------------------------------------------------------------------- config + CLI
@PROFILE
@given(_config_tables)
def test_config_from_dict_builds_or_raises_config_error(table):
    try:
        config = Config.from_dict(table)
    except ConfigError as exc:
        one_line(exc)
        return
    assert Config.from_dict(config.to_dict()) == config  # round trip through TOML values


_flags = [*sorted("--" + k.replace("_", "-") for k in CONFIG_DEFAULTS), "--bn", "--no-bn"]
argv_like = st.lists(
    st.one_of(
        st.sampled_from(_flags),
        st.sampled_from(["0", "1", "-1", "32", "33", "1e9", "nan", "relu", "std:0", "x", ""]),
        st.text(max_size=6),
    ),
    max_size=8,
)


@PROFILE
@given(argv_like)
def test_cli_flags_give_a_config_or_a_usage_error(argv):
    try:
        args = build_parser().parse_args(["run", *argv])
        config = config_from_args(args)
    except (UsageError, ConfigError) as exc:
        one_line(exc)
        return
    except SystemExit as exc:  # only --help/--version exit, and they are not generated
        raise AssertionError(f"argparse exited with {exc.code}") from None
    assert isinstance(config, Config)
