"""``bntui verify``: every claim evaluated in --quick (this runs in CI), JSON and Markdown
reports, the Titanic claim on a CSV, and one-line errors."""

import json

import numpy as np
import pytest

from bntui.cli import main
from bntui.cli.verify import run_claims
from bntui.experiments.stats import MIXED, NOT_SUPPORTED, SKIPPED, SUPPORTED, verdict
from bntui.experiments.verification import evaluate, titanic_claim

VERDICTS = {SUPPORTED, NOT_SUPPORTED, MIXED}


def test_verify_quick_evaluates_every_claim(tmp_path, capsys):
    out_json, out_md = tmp_path / "v.json", tmp_path / "v.md"
    code = main(["verify", "--quick", "--json", str(out_json), "--markdown", str(out_md), "-q"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out_json.read_text())
    claims = {c["key"]: c for c in doc["claims"]}
    assert list(claims) == [
        "steps", "lr", "init", "gradient", "gap", "dropout", "ics", "titanic",
        "small-batch", "noisy-bn",
    ]  # fmt: skip
    assert claims["titanic"]["verdict"] == SKIPPED and "--titanic" in claims["titanic"]["note"]
    for key, c in claims.items():
        if key == "titanic":
            continue
        assert c["verdict"] in VERDICTS, key
        assert len(c["values_a"]) == len(c["values_b"]) == 5
        # the verdict is the one the stated criterion gives on the stored numbers
        direction = {"steps": "less", "gap": "less", "dropout": "not-worse",
                     "noisy-bn": "not-worse"}.get(key, "greater")  # fmt: skip
        margin = {"dropout": 0.01, "noisy-bn": 0.02}.get(key, 0.0)
        assert (
            verdict(c["values_a"], c["values_b"], claim=direction, margin=margin)[0]
            == (c["verdict"])
        )
    assert len(claims["init"]["details"]["per_scale"]) == 16
    assert all(v is not None for v in claims["ics"]["details"]["l2_bn"])
    assert "bntui verify" in out and "trials" in out
    # the small-batch grid: every norm at every quick batch size, 5 seeds each
    sb = claims["small-batch"]["details"]
    assert set(sb["val_acc"]) == {"bn", "brn", "gn", "ln", "none"}
    assert all(len(v) == 5 for t in sb["val_acc"].values() for v in t.values())
    assert sb["batches"] == [2, 4, 64, 128]
    assert "small-batch: val acc" in out
    md = out_md.read_text()
    assert md.startswith("# bntui verify") and md.count("\n| ") == 11  # header + 10 claims


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
    assert result["verdict"] in VERDICTS
    assert len(result["values_a"]) == 3 and all(0 <= v <= 1 for v in result["values_a"])
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
