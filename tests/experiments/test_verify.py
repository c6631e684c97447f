"""``bntui verify``: every registry claim evaluated in --quick (this runs in CI), the
verdicts recomputed here from the per-seed numbers with the rule written out again,
JSON and Markdown reports, the table at 80 columns, the Titanic claim on a CSV, and
one-line errors."""

import json
import math
import re

import numpy as np
import pytest

from bntui.cli import main
from bntui.cli.verify import details, run_claims, table
from bntui.experiments.claims import CLAIMS, MIXED, NOT_MEASURED, NOT_SUPPORTED, SUPPORTED, TIE
from bntui.experiments.verification import evaluate, titanic_claim

VERDICTS = {SUPPORTED, NOT_SUPPORTED, TIE, MIXED}
SEEDS = 3


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick run of every claim (3 seeds per arm), its JSON, Markdown and stdout."""
    tmp = tmp_path_factory.mktemp("verify")
    out_json, out_md = tmp / "v.json", tmp / "v.md"
    argv = ["verify", "--quick", "--seeds", str(SEEDS), "--json", str(out_json),
            "--markdown", str(out_md), "-q"]  # fmt: skip
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    assert code == 0
    return json.loads(out_json.read_text()), out_md.read_text(), buf.getvalue()


def sides(key, arms):
    """The two compared sides from the per-arm numbers, as the registry's effect says."""
    if key == "dropout":
        a = [x - y for x, y in zip(arms["bn+dropout"], arms["bn"], strict=True)]
        b = [x - y for x, y in zip(arms["plain+dropout"], arms["plain"], strict=True)]
        return a, b
    if key == "small-batch":
        return arms["bn"], [max(g, ln) for g, ln in zip(arms["gn"], arms["ln"], strict=True)]
    if key == "noisy-bn":
        return arms["noisy-bn"], arms["bn"]
    return arms["bn"], arms["plain"]


def rule(a, b, direction, margin, tie):
    """The verdict rule as ``verify --help`` states it, written out again."""
    n = len(a)
    need = math.ceil(0.8 * n - 1e-9)
    if direction == "not-worse":
        d = [x - y for x, y in zip(a, b, strict=True)]
        mean = sum(d) / n
        if mean >= -margin and sum(v >= -margin for v in d) >= need:
            return SUPPORTED
        if mean < -margin and sum(v < -margin for v in d) >= need:
            return NOT_SUPPORTED
        return MIXED
    d = [(x - y) if direction == "greater" else (y - x) for x, y in zip(a, b, strict=True)]
    mean = sum(d) / n
    if mean > margin and sum(v > tie for v in d) >= need:
        return SUPPORTED
    if mean < -margin and sum(v < -tie for v in d) >= need:
        return NOT_SUPPORTED
    if abs(mean) <= margin:
        return TIE
    return MIXED


def test_one_entry_per_registry_claim_with_every_arm_on_every_seed(quick):
    doc, _, _ = quick
    claims = {c["key"]: c for c in doc["claims"]}
    assert list(claims) == list(CLAIMS)
    assert claims["titanic"]["verdict"] == NOT_MEASURED
    assert "--titanic" in claims["titanic"]["note"] and "not measured" in claims["titanic"]["note"]
    for key, c in claims.items():
        if key == "titanic":
            continue
        reg = CLAIMS[key]
        if key == "small-batch":  # its arms are the norms' per-seed drops
            assert set(c["arms"]) == {a.key for a in reg.arms}
        else:
            assert list(c["arms"]) == [a.key for a in reg.arms], key
        assert all(len(v) == SEEDS for v in c["arms"].values()), key
        assert c["verdict"] in VERDICTS, key


def test_each_verdict_follows_from_the_per_seed_numbers(quick):
    doc, _, _ = quick
    for c in doc["claims"]:
        if c["verdict"] == NOT_MEASURED:
            continue
        reg = CLAIMS[c["key"]]
        a, b = sides(c["key"], c["arms"])
        assert a == pytest.approx(c["values_a"]) and b == pytest.approx(c["values_b"])
        assert rule(a, b, reg.direction, reg.margin, reg.tie) == c["verdict"], c["key"]


def test_init_per_scale_counts_ties_at_chance_as_ties(quick):
    doc, _, _ = quick
    init = next(c for c in doc["claims"] if c["key"] == "init")
    per_scale = init["details"]["per_scale"]
    assert len(per_scale) == 16
    reg = CLAIMS["init"]
    for s, row in per_scale.items():
        chance = 1 / 3 + 0.05  # the spiral has 3 classes
        both = [x < chance and y < chance for x, y in zip(row["bn"], row["plain"], strict=True)]
        assert both == row["both_at_chance"], s
        plain = [x if t else y for x, y, t in zip(row["bn"], row["plain"], both, strict=True)]
        assert rule(row["bn"], plain, "greater", reg.margin, reg.tie) == row["verdict"], s
    # the smallest scale leaves both arms at chance on this run: stated as a tie
    assert per_scale["0.0001"]["verdict"] == TIE


def test_the_gradient_claim_runs_where_the_plain_gradient_has_vanished(quick):
    doc, _, _ = quick
    g = next(c for c in doc["claims"] if c["key"] == "gradient")
    ratios = g["details"]["last_over_first"]["plain"]
    assert len(ratios) == SEEDS and min(ratios) >= 100
    assert g["details"]["in_regime"] is True and "≥ 100×" in g["note"]


def test_ics_is_reported_by_both_measures(quick):
    doc, _, _ = quick
    by = {c["key"]: c for c in doc["claims"]}
    for key in ("ics-l2", "ics-cos"):
        assert all(v is not None and v > 0 for arm in by[key]["arms"].values() for v in arm)
    assert all(0 < v <= 1 for arm in by["ics-cos"]["arms"].values() for v in arm)
    assert "momentum" in by["ics-l2"]["setup"]


def test_reports_and_the_table_at_80_columns(quick):
    from rich.console import Console

    doc, md, out = quick
    assert "bntui verify" in out and "trials" in out and "Verdict rule" in out
    assert "dropout: val acc, mean over seeds (2×2)" in out and "init: val acc per scale" in out
    assert md.startswith("# bntui verify") and md.count("\n| ") == len(CLAIMS) + 1
    results = doc["claims"]
    fmts = {k: c.fmt for k, c in CLAIMS.items()}
    console = Console(width=80, record=True, color_system=None)
    console.print(table(results, fmts))
    text = console.export_text()
    words = {"a", "b", "within", "margin"}
    for r in results:
        for cell in (r["name"], r["key"] + ":", r["a"] + ":", r["b"] + ":", r["verdict"]):
            words.update(cell.split())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    # table rows only (not the title, header or rules): every token is a whole word of
    # a cell's text or a number — a word cut in two would be neither
    rows = lines[lines.index(next(ln for ln in lines if set(ln.strip()) == {"─"})) + 1 :]
    number = re.compile(r"^[+−-]?[\d.,]+(e[+-]?\d+)?$|^[±–]$|^\(need$|^\d+\)$|^of$|^\d+/\d+/\d+$")
    for line in rows:
        for token in line.split():
            assert token in words or number.match(token), (token, line)
    wrapped = details(results, fmts, width=80)
    assert wrapped and max(len(line) for line in wrapped) <= 80


def test_the_full_small_batch_table_fits_80_columns():
    from bntui.experiments.verify_norms import FULL_BATCHES, batch_table

    accs = {str(b): [0.123456, 0.9] for b in FULL_BATCHES}
    grid = {n: accs for n in ("bn", "brn", "gn", "ln", "none")}
    result = {"details": {"batches": list(FULL_BATCHES), "val_acc": grid}}
    lines = batch_table(result)
    assert len(lines) == 6 and max(len(line) for line in lines) <= 80
    assert lines[1].split()[1] == "0.51±0.55"  # mean 0.512, sd 0.549 of (0.123456, 0.9)


def test_wrapped_lines_count_terminal_cells_and_keep_words_whole():
    from rich.cells import cell_len

    from bntui.cli.verify import wrap
    from bntui.experiments.claims import RULE_KO

    lines = wrap(RULE_KO, 79, indent="  ")
    assert len(lines) > 3 and max(cell_len(line) for line in lines) <= 79
    assert " ".join(" ".join(lines).split()) == " ".join(RULE_KO.split())  # nothing cut
    assert all(line.startswith("  ") for line in lines[1:])


def test_verify_help_states_the_rule(capsys):
    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    out = capsys.readouterr().out
    assert "Verdict rule" in " ".join(out.split()) and "⌈0.8·N⌉" in out


def titanic_csv(path, n=160, seed=0):
    rng = np.random.default_rng(seed)
    pclass = rng.integers(1, 4, n)
    fare = rng.gamma(2.0, 15.0, n) * (4 - pclass)
    age = rng.uniform(1, 70, n)
    survived = (rng.uniform(size=n) < 1 / (1 + np.exp(pclass - 2 - fare / 40))).astype(int)
    lines = ["PassengerId,Survived,Pclass,Age,Fare"]
    for i in range(n):
        a = "" if i % 9 == 0 else f"{age[i]:.0f}"  # missing ages, as in Kaggle's file
        lines.append(f"{i + 1},{survived[i]},{pclass[i]},{a},{fare[i]:.2f}")
    path.write_text("\n".join(lines) + "\n")


def test_titanic_claim_on_a_csv(tmp_path):
    csv = tmp_path / "train.csv"
    titanic_csv(csv)
    claim = titanic_claim([0, 1, 2], True, str(csv))
    rows = run_claims([claim], jobs=1, address=None, quiet=True)
    result = evaluate(claim, rows, [0, 1, 2])
    assert result["verdict"] in VERDICTS  # from the data, whatever it says
    assert len(result["values_a"]) == 3 and all(0 <= v <= 1 for v in result["values_a"])
    assert set(result["arms"]) == {"bn", "plain"} and "mean val acc: BN" in result["note"]
    assert "50 epochs" in result["setup"]


def test_titanic_file_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "t.csv"
    bad.write_text("a,b\n1,2\n")
    code = main(["verify", "--quick", "--titanic", str(bad), "-q"])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("bntui: error:") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--seeds", "1"], "at least 2"), (["--jobs", "0"], "at least 1")],
)
def test_verify_bad_flags(capsys, argv, message):
    code = main(["verify", "--quick", "-q", *argv])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and err.count("\n") == 1


def test_verify_never_overwrites_a_report(tmp_path, capsys):
    out = tmp_path / "v.json"
    out.write_text("mine")
    code = main(["verify", "--quick", "-q", "--json", str(out)])
    _, err = capsys.readouterr()
    assert code == 2 and "exists" in err and out.read_text() == "mine"


def test_image_claims_use_the_given_images(tmp_path):
    from bntui.experiments.verification import claims

    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 1400)
    x = (rng.normal(size=(10, 20))[y] + rng.normal(size=(1400, 20))).astype(np.float32)
    npz = tmp_path / "images.npz"
    np.savez(npz, x=x, y=y)
    todo = {c.key: c for c in claims([0, 1], quick=True, images=str(npz))}
    for key in ("init", "gap", "dropout"):
        assert all(s["config"]["data"] == str(npz) for s in todo[key].specs.values()), key
    assert str(npz) in todo["init"].setup and str(npz) in todo["gap"].setup
    assert len(todo["init"].specs) == 2 * 2 * 16
    assert all("data" not in s["config"] for s in todo["steps"].specs.values())
    gap = todo["gap"]
    result = evaluate(gap, run_claims([gap], jobs=1, address=None, quiet=True), [0, 1])
    assert result["verdict"] in VERDICTS and len(result["values_a"]) == 2


def test_verify_images_error_is_one_line(tmp_path, capsys):
    code = main(["verify", "--quick", "-q", "--images", str(tmp_path / "none")])
    _, err = capsys.readouterr()
    assert code == 2 and "no such file" in err and err.count("\n") == 1
