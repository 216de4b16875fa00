"""Hostile and absurd input (issue 14): every reader of user files refuses a bad file with one line naming the
file or the field, and exit status 2, never a traceback, a hang or a machine out of memory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from sim.interfaces import cli
from sim.scenario.schema import ScenarioError, load_scenario
from sim.scenario.userfiles import MAX_ALIASES

from .helpers import one_line

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
TEXT = DEFAULT.read_text(encoding="utf-8")


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join([*lines, "name: *i"]) + "\n"


# --------------------------------------------------------------------------------------------- encodings, sizes
@pytest.mark.parametrize(
    ("content", "words"),
    [
        (TEXT.replace("name: fashion-default", "name: caf\u00e9").encode("latin-1", "replace"),
         ("not UTF-8 text", "0xe9", "line")),
        (TEXT.encode("utf-16"), ("UTF-16", "save it as UTF-8")),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("binary file",)),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(200), ("binary file",)),
        (TEXT[: len(TEXT) // 2].encode() + b"\x00", ("binary file",)),
    ],
    ids=["latin-1", "utf-16", "png", "elf", "nul-in-text"],
)
def test_undecodable_files_are_one_line(tmp_path, capsys, content, words):
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    line = one_line(capsys, ["validate", str(path)], str(path), *words)
    assert line.startswith(f"{path}: ")


def test_a_utf8_bom_is_fine(tmp_path, capsys):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    assert cli.main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path, capsys):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as f:
        f.write(TEXT.encode())
        f.write(b"#" * (6 * 1024 * 1024) + b"\n")
    one_line(capsys, ["validate", str(path)], "file too large", "at most 5.0 MB")


def test_a_directory_and_dev_zero(tmp_path, capsys):
    one_line(capsys, ["validate", str(tmp_path)], "cannot read file")
    if Path("/dev/zero").exists():
        t0 = time.perf_counter()
        one_line(capsys, ["validate", "/dev/zero"], "/dev/zero")
        assert time.perf_counter() - t0 < 10


# --------------------------------------------------------------------------------------------- YAML bombs and traps
def test_billion_laughs_is_refused_quickly(tmp_path, capsys):
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    t0 = time.perf_counter()
    one_line(capsys, ["validate", str(path)], "too many YAML aliases")
    assert time.perf_counter() - t0 < 5


def test_many_aliases_are_refused(tmp_path, capsys):
    path = tmp_path / "aliases.yaml"
    path.write_text("x: &x 1\ny: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n", encoding="utf-8")
    one_line(capsys, ["validate", str(path)], "too many YAML aliases")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: a\nhorizon_days: 3\nname: b\n", ("duplicate key 'name'", "line 3", "first given at line 1")),
        ("a: &a [1, *a]\n", ("recursive",)),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", ("nested more than",)),
        ("customers_per_day: " + "9" * 5000 + "\n", ("not valid YAML",)),
        ("--- {}\n--- {}\n", ("not valid YAML",)),
        ("name: !!python/object:os.system 'echo hi'\n", ("not valid YAML",)),
    ],
    ids=["duplicate-key", "recursive-alias", "deep", "huge-int", "two-documents", "python-tag"],
)
def test_yaml_traps_are_one_line(tmp_path, capsys, text, words):
    path = tmp_path / "trap.yaml"
    path.write_text(text, encoding="utf-8")
    one_line(capsys, ["validate", str(path)], str(path), *words)


def test_merge_keys_may_override_merged_values():
    """``<<: *store`` then a key of the mapping's own is not a duplicate (the national chain does this)."""
    assert len(load_scenario(ROOT / "scenarios" / "national_chain.yaml").stores) == 100


def test_dates_and_binary_values_get_a_field_path(tmp_path):
    data = yaml.safe_load(TEXT)
    data["name"] = "x"
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(data).replace("name: x", "name: 2024-01-01"), encoding="utf-8")
    assert load_scenario(path).name == "2024-01-01"
    path.write_text(yaml.safe_dump(data).replace("name: x", "name: !!binary aGVsbG8="), encoding="utf-8")
    with pytest.raises(ScenarioError, match="name: a bytes value is not allowed"):
        load_scenario(path)


# --------------------------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ("customers_per_day=1e12", "customers_per_day", "must be at most 10,000,000"),
        ("customers_per_day=.inf", "customers_per_day", "finite number"),
        ("horizon_days=1e9", "horizon_days", "must be at most 36,500"),
        ("horizon_days=.nan", "horizon_days", "finite number"),
        ("fulfilment.home_cost=-.inf", "fulfilment.home_cost", "finite number"),
        ("catalogue.generator.n_skus=1000000000", "catalogue.generator.n_skus", "must be at most 1,000,000"),
        ("stores.0.staff=100000000", "stores.0.staff", "must be at most 10,000"),
        ("stores.0.tills=-1", "stores.0.tills", "must be at least 0"),
        ("call_centre.agents=1000000000000000", "call_centre.agents", "must be at most 100,000"),
        ("segments.0.basket.lines_mean=1e300", "segments.0.basket.lines_mean", "must be at most 200"),
        ("weekly_profile=[1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308]", "weekly_profile", "1e6"),
        ("fulfilment.sync_interval_min=1e-300", "fulfilment.sync_interval_min", "must be at least 1"),
        ("fulfilment.staff_cost_per_hour=-25", "fulfilment.staff_cost_per_hour", "must be at least 0 (got -25"),
        ("fulfilment.staff_cost_per_hour=1e6", "fulfilment.staff_cost_per_hour", "must be at most 10,000"),
        ("name=2024-01-01T00:00:00", None, None),
    ],
)
def test_absurd_numbers_through_set_are_one_line(capsys, override, field, words):
    argv = ["validate", str(DEFAULT), "--set", override]
    if field is None:
        assert cli.main(argv) == 0
        return
    one_line(capsys, argv, f"{DEFAULT}: {field}: ", words)


@pytest.mark.parametrize(("value", "field"), [(".inf", "horizon_days"), (".nan", "customers_per_day"),
                                              ("1e400", "customers_per_day"), ("1.0e+30", "customers_per_day")])
def test_absurd_numbers_in_the_file_are_one_line(tmp_path, capsys, value, field):
    data = yaml.safe_load(TEXT)
    data[field] = "PLACEHOLDER"
    path = tmp_path / "n.yaml"
    path.write_text(yaml.safe_dump(data).replace("PLACEHOLDER", value), encoding="utf-8")
    one_line(capsys, ["validate", str(path)], f"{path}: {field}: ")


# --------------------------------------------------------------------------------------------- other readers
def test_experiment_files_get_the_same_reader(tmp_path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    one_line(capsys, ["sweep", str(exp), "--out", str(tmp_path / "o")], "not UTF-8 text")
    exp.write_text(f"name: x\nscenario: {DEFAULT}\nname: y\n", encoding="utf-8")
    one_line(capsys, ["sweep", str(exp), "--out", str(tmp_path / "o")], "duplicate key 'name'")
    exp.write_text(f"name: x\nscenario: {DEFAULT}\nreplications: .inf\n", encoding="utf-8")
    one_line(capsys, ["sweep", str(exp), "--out", str(tmp_path / "o")], "replications")
    exp.write_text(f"name: x\nscenario: {DEFAULT}\ndesign: {{kind: grid, factors: "
                   + "{" + ", ".join(f"f{i}: {{low: 0, high: 1, n: 100}}" for i in range(5)) + "}}\n",
                   encoding="utf-8")
    one_line(capsys, ["sweep", str(exp), "--out", str(tmp_path / "o")], "10,000,000,000 points")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"\x00\x01binary", "binary file"), (b"customer_id,timestamp,touchpoint\n", "no rows"),
     ("customer_id,timestamp,touchpoint\n1,2,caf\u00e9\n".encode("latin-1"), "not UTF-8"),
     (b'customer_id,timestamp,touchpoint\n1,"unclosed\n', "not a CSV journey log"),
     (b"customer_id,timestamp,touchpoint\n1,yesterday,web\n", "timestamp")],
    ids=["binary", "empty", "latin-1", "bad-csv", "bad-time"],
)
def test_bad_journey_logs_are_one_line(tmp_path, capsys, content, words):
    log = tmp_path / "log.csv"
    log.write_bytes(content)
    one_line(capsys, ["calibrate", str(DEFAULT), "--log", str(log), "--out", str(tmp_path / "x.yaml")], words)
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [("touchpoints_per_journey: .inf\n", "touchpoints_per_journey"), ("- 1\n", "mapping"),
     ("touchpoints_per_journey: 10\nusage: {web: 7}\n", "usage.web"),
     ("touchpoints_per_journey: 10\nusag: {}\n", "unknown figure")],
)
def test_bad_targets_files_are_one_line(tmp_path, capsys, text, words):
    targets = tmp_path / "t.yaml"
    targets.write_text(text, encoding="utf-8")
    assert cli.main(["calibrate", str(DEFAULT), "--targets", str(targets), "--out", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("files", "words"),
    [({"summary.csv": b"\x00\x01"}, "binary file"), ({"summary.csv": b"a,b\n1,2\n"}, "missing column"),
     ({"summary.csv": "setup\n\u00e9\n".encode("latin-1")}, "not UTF-8")],
)
def test_bad_results_folders_are_one_line(tmp_path, capsys, files, words):
    folder = tmp_path / "res"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    one_line(capsys, ["report", str(folder)], words)
