"""CSV loading: type inference, imputation, one-hot, standardization and clear errors."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bntui.data import DataError, load_csv
from bntui.data.tabular import read_table, standardize

N = 60


def titanic_rows(seed: int = 0) -> list[dict[str, str]]:
    """A Titanic-shaped table: IDs, quoted names with commas, missing Age and Embarked."""
    r = np.random.default_rng(seed)
    rows = []
    for i in range(N):
        age = "" if i % 9 == 4 else ("NA" if i % 13 == 6 else str(int(r.integers(1, 70))))
        embarked = "" if i == 10 else str(r.choice(["S", "S", "S", "C", "Q"]))
        rows.append(
            {
                "PassengerId": str(i + 1),
                "Survived": str(int(r.integers(0, 2))),
                "Pclass": str(int(r.integers(1, 4))),
                "Name": f"Surname{i}, Mr. Given{i}",
                "Sex": str(r.choice(["male", "female"])),
                "Age": age,
                "Ticket": f"T{1000 + 7 * i}",
                "Fare": f"{r.uniform(5, 90):.4f}",
                "Embarked": embarked,
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def titanic(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    rows = titanic_rows()
    return write_csv(tmp_path / "titanic.csv", rows), rows


def column(rows: list[dict[str, str]], name: str) -> list[str]:
    return [row[name] for row in rows]


def test_default_features_skip_ids_and_encode_the_rest(titanic) -> None:
    path, rows = titanic
    x, y, names, classes, notes = load_csv(path, "Survived")
    assert names == (
        "Pclass", "Sex=female", "Sex=male", "Age", "Fare", "Embarked=C", "Embarked=Q", "Embarked=S",
    )  # fmt: skip
    assert x.shape == (N, 8) and x.dtype == np.float64
    assert classes == ("0", "1")
    np.testing.assert_array_equal(y, [int(v) for v in column(rows, "Survived")])
    text = "\n".join(notes)
    for skipped in ("PassengerId", "Name", "Ticket"):
        assert re.search(rf"^{skipped}: skipped as an ID-like column", text, re.M)


def test_one_hot_matches_the_raw_values(titanic) -> None:
    path, rows = titanic
    x, _, names, _, notes = load_csv(path, "Survived")
    female = np.array([v == "female" for v in column(rows, "Sex")], dtype=float)
    np.testing.assert_array_equal(x[:, names.index("Sex=female")], female)
    np.testing.assert_array_equal(x[:, names.index("Sex=male")], 1 - female)
    emb = x[:, [names.index(f"Embarked={c}") for c in "CQS"]]
    np.testing.assert_array_equal(emb.sum(1), 1.0)  # exactly one category per row
    raw = column(rows, "Embarked")
    most = Counter(v for v in raw if v).most_common(1)[0][0]
    filled = [v or most for v in raw]  # the missing one takes the most frequent value
    np.testing.assert_array_equal(emb.argmax(1), ["CQS".index(v) for v in filled])
    assert f"Embarked: 1 missing value imputed with the most frequent {most!r}" in notes
    assert "Embarked: one-hot, 3 categories (C, Q, S)" in notes
    assert "Sex: one-hot, 2 categories (female, male)" in notes


def test_age_imputed_with_the_median_and_standardized(titanic) -> None:
    path, rows = titanic
    x, _, names, _, notes = load_csv(path, "Survived")
    raw = column(rows, "Age")
    missing = np.array([v in ("", "NA") for v in raw])
    present = np.array([float(v) for v in raw if v not in ("", "NA")])
    median = np.median(present)
    note = next(n for n in notes if n.startswith("Age:") and "imputed" in n)
    count, value = re.fullmatch(
        r"Age: (\d+) missing values imputed with the median (.+)", note
    ).groups()
    assert int(count) == missing.sum() > 0
    assert float(value) == pytest.approx(median, rel=1e-3)
    # the imputed column, standardized by hand: z = (a - mean) / std
    filled = np.where(missing, median, 0.0)
    filled[~missing] = present
    z = (filled - filled.mean()) / filled.std()
    np.testing.assert_allclose(x[:, names.index("Age")], z, rtol=1e-12)


def test_numeric_columns_are_standardized(titanic) -> None:
    path, _ = titanic
    x, _, names, _, notes = load_csv(path, "Survived")
    for name in ("Pclass", "Age", "Fare"):
        col = x[:, names.index(name)]
        assert abs(col.mean()) < 1e-12
        assert col.std() == pytest.approx(1.0, abs=1e-12)
        assert any(n.startswith(f"{name}: standardized with mean") for n in notes)
    onehot = x[:, [i for i, n in enumerate(names) if "=" in n]]
    assert set(np.unique(onehot)) == {0.0, 1.0}  # one-hot columns are left as 0/1


def test_seed_experiment_features(titanic) -> None:
    # the seed report's Titanic run: --target Survived --features Pclass,Sex,Age,Fare
    path, rows = titanic
    x, y, names, classes, _ = load_csv(path, "Survived", ("Pclass", "Sex", "Age", "Fare"))
    np.testing.assert_array_equal(y, [int(v) for v in column(rows, "Survived")])
    assert names == ("Pclass", "Sex=female", "Sex=male", "Age", "Fare")
    assert x.shape == (N, 5) and classes == ("0", "1")
    fare = np.array([float(v) for v in column(rows, "Fare")])
    np.testing.assert_allclose(x[:, 4], (fare - fare.mean()) / fare.std())


def test_text_target_classes_in_sorted_order_and_missing_rows_dropped(titanic) -> None:
    path, rows = titanic
    x, y, _, classes, notes = load_csv(path, "Embarked", ("Pclass", "Fare"))
    kept = [v for v in column(rows, "Embarked") if v]
    assert classes == ("C", "Q", "S")
    assert x.shape == (N - 1, 2)
    np.testing.assert_array_equal(y, [classes.index(v) for v in kept])
    assert "Embarked: 1 row with a missing target dropped" in notes


def test_semicolons_bom_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_bytes("\ufeffa;b;label\n2.5;x;yes\n\n1;y;no\n3;x;yes\n4;y;no\n".encode())
    x, y, names, classes, _ = load_csv(path, "label")
    assert names == ("a", "b=x", "b=y") and classes == ("no", "yes")
    np.testing.assert_array_equal(y, [1, 0, 1, 0])
    a = np.array([2.5, 1, 3, 4])
    np.testing.assert_allclose(x[:, 0], (a - a.mean()) / a.std())


def test_standardize_with_training_rows_only(titanic) -> None:
    path, _ = titanic
    table = read_table(path, "Survived", ("Fare", "Sex"))
    rows = np.arange(0, N, 2)
    x, notes = standardize(table, fit_rows=rows)
    assert notes[0].startswith("Fare: standardized with mean")
    fare = x[:, 0]
    assert abs(fare[rows].mean()) < 1e-12 and fare[rows].std() == pytest.approx(1.0)
    raw = table.x[:, 0]
    np.testing.assert_allclose(fare, (raw - raw[rows].mean()) / raw[rows].std())
    np.testing.assert_array_equal(x[:, 1:], table.x[:, 1:])  # one-hot untouched


def test_row_counter_skipped_only_by_default(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,v,t\n7,0.5,0\n8,0.1,1\n9,0.3,0\n10,0.2,1\n")
    _, _, names, _, notes = load_csv(path, "t")
    assert names == ("v",)
    assert (
        "id: skipped as an ID-like column (a row counter); name it in --features to use it" in notes
    )
    x, _, names, _, _ = load_csv(path, "t", ("id", "v"))  # asked for: used
    assert names == ("id", "v")
    ids = np.array([7.0, 8, 9, 10])
    np.testing.assert_allclose(x[:, 0], (ids - ids.mean()) / ids.std())


def test_constant_column_is_centred_not_divided(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("k,v,t\n5,1,0\n5,2,1\n5,3,0\n")
    x, _, _, _, notes = load_csv(path, "t")
    np.testing.assert_array_equal(x[:, 0], 0.0)
    assert any(n.startswith("k: constant (5.0)") for n in notes)


# ---- errors -------------------------------------------------------------------------------


def test_non_numeric_value_in_a_numeric_target(tmp_path: Path, titanic) -> None:
    _, rows = titanic
    rows = [dict(r) for r in rows]
    rows[12]["Survived"] = "maybe"  # data row 13 is line 14 (the header is line 1)
    path = write_csv(tmp_path / "titanic.csv", rows)
    with pytest.raises(DataError) as info:
        load_csv(path, "Survived")
    assert str(info.value).endswith(
        "titanic.csv: column 'Survived' (target) has non-numeric value 'maybe' at line 14"
    )


def test_regression_target_refused(titanic) -> None:
    path, _ = titanic
    with pytest.raises(
        DataError, match=r"'Fare' \(target\) has 60 distinct non-integer .*regression"
    ):
        load_csv(path, "Fare")


def test_single_class_target_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("a,t\n1,x\n2,x\n3,x\n")
    with pytest.raises(DataError, match="single class 'x'"):
        load_csv(path, "t")


@pytest.mark.parametrize(
    ("target", "features", "message"),
    [
        ("Survivd", None, r"no column 'Survivd' for the target \(did you mean 'Survived'\?\)"),
        ("Survived", ("Pclass", "Sexx"), r"no column 'Sexx' \(did you mean 'Sex'\?\)"),
        ("Survived", ("Survived", "Age"), "is the target"),
        ("Survived", (), "names no column"),
        ("", None, "--target"),
    ],
)
def test_unknown_columns(titanic, target, features, message) -> None:
    path, _ = titanic
    with pytest.raises(DataError, match=message):
        load_csv(path, target, features)


def test_numeric_column_with_a_typo_names_the_line(tmp_path: Path, titanic) -> None:
    _, rows = titanic
    rows = [dict(r) for r in rows]
    rows[20]["Age"] = "unknown"
    path = write_csv(tmp_path / "t.csv", rows)
    with pytest.raises(
        DataError, match=r"column 'Age' is numeric but has value 'unknown' at line 22"
    ):
        load_csv(path, "Survived")


def test_empty_column(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("a,empty,t\n3,,0\n1,NA,1\n2,,0\n")
    with pytest.raises(DataError, match="column 'empty' is entirely empty"):
        load_csv(path, "t", ("a", "empty"))
    _, _, names, _, notes = load_csv(path, "t")  # by default it is skipped, with a note
    assert names == ("a",) and "empty: skipped, the column is empty" in notes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\n  \n", "empty file"),
        (b"a,t\n", "no data rows"),
        (b",,\n,,\n", "no header row"),
        (b"a,t\n1,0\n", "too few rows"),
        (b"a,t\n1,0\n2,1,7\n", "line 3 has 3 fields, the header has 2"),
        (b"a,a,t\n1,2,0\n2,3,1\n", "names column 'a' twice"),
        (b"a,t\n1,0\n2,1\n3,caf\xe9\n", r"not UTF-8 text \(byte 0xe9 at line 4, column 6\)"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        load_csv(path, "t")
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.csv: no such file"):
        load_csv(tmp_path / "nope.csv", "t")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path, "t")
