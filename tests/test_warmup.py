"""The warm-up per scenario: Welch's method on the daily network stock (sim.experiments.warmup.suggest_warmup) and the
command that fits it into a scenario file (``omnisim warmup``).

The small business is the test case: one shop and its web stock, 110 journeys a day, so twenty replications of
four weeks under three setups take a few seconds.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import sim
from sim.experiments.warmup import suggest_warmup, welch_window
from sim.interfaces import cli

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small_business.yaml"
LIBRARY = sorted((ROOT / "scenarios").glob("*.yaml"))
FAST = ["--replications", "20", "--days", "28", "--workers", "1"]


@pytest.mark.slow
def test_stock_that_starts_full_and_settles_gets_a_warm_up():
    """Stock starts at order-up-to and falls to its steady level within the first weekly cycle: Welch's average
    leaves the first days out, and the steady level is well under the first day's stock (a fifth under: most of the
    shop's stock is its presentation minimum, which never runs down)."""
    sc = sim.load_scenario(SMALL)
    found = suggest_warmup(sc, replications=20, days=28)
    assert found.days is not None and 5 <= found.days <= 14, found.welch
    for w in found.welch.values():
        assert w.period_means[0] > 1.2 * w.level  # it starts full ...
        assert w.window == 3                      # ... and a weekly review gives a week's moving average


@pytest.mark.slow
def test_stock_at_steady_state_from_the_start_gets_none():
    """Daily review with no lead time: every morning each shelf is back at order-up-to, so the end-of-day stock
    is steady from day 1 (the same cycle every day); Welch's method finds no warm-up. The same scenario with the
    weekly review it really has needs one (the test above)."""
    instant = {"policy": "periodic", "review_days": 1, "order_up_to_days": 3, "lead_time_days": 0}
    sc = sim.load_scenario(SMALL, {"stores.0.replenishment": instant, "warehouse.replenishment": instant,
                                   "weekly_profile": None})
    found = suggest_warmup(sc, replications=20, days=28)
    assert found.days == 0, {s: (w.warmup, w.level) for s, w in found.welch.items()}


def test_the_window_covers_the_longest_review_cycle():
    assert welch_window(sim.load_scenario(SMALL)) == 3                                 # weekly: 7 days
    assert welch_window(sim.load_scenario(ROOT / "scenarios" / "grocery.yaml")) == 3   # daily reviews: the week
    assert welch_window(sim.load_scenario(ROOT / "scenarios" / "electronics.yaml")) == 7  # fortnightly: 15 days


def unfitted(tmp_path: Path) -> Path:
    """The small business before its warm-up was fitted, measuring 9 days from full stock (a one-digit horizon:
    the fitted one is longer, and the comments must keep their column)."""
    text = re.sub(r"^horizon_days: .*$", "horizon_days: 9                  # nine days: a week and its weekend",
                  SMALL.read_text(encoding="utf-8"), count=1, flags=re.M)
    text = re.sub(r"^warmup_days: .*$", "warmup_days: 0                   # stock starts at order-up-to", text, count=1,
                  flags=re.M)
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_write_changes_only_the_two_lines_and_says_which_command_fitted_them(tmp_path, capsys):
    path = unfitted(tmp_path)
    original = path.read_text(encoding="utf-8")
    before = sim.load_scenario(path)
    assert cli.main(["warmup", str(path), *FAST, "--write"]) == 0
    out = capsys.readouterr().out
    suggested = int(out.split("suggested warm-up: ")[1].split()[0])
    after = sim.load_scenario(path)
    assert after.warmup_days == suggested > 0
    assert after.horizon_days - after.warmup_days == before.horizon_days - before.warmup_days  # measured days kept
    assert after.model_dump(exclude={"warmup_days", "horizon_days"}) == \
        before.model_dump(exclude={"warmup_days", "horizon_days"})
    old, new = original.splitlines(), path.read_text(encoding="utf-8").splitlines()
    assert len(old) == len(new)
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert [b.split(":")[0] for _, b in changed] == ["horizon_days", "warmup_days"]
    (h_old, h_new), (w_old, w_new) = changed
    assert w_new.startswith(f"warmup_days: {suggested} ") and "fitted by `omnisim warmup --replications 20 " \
        "--days 28`" in w_new
    assert w_new.index("#") == w_old.index("#")  # the comment column is kept
    reason = h_old.split("# ", 1)[1]
    assert h_new.endswith(f"# warm-up {suggested} + 9 measured days: {reason}") and h_new.index("#") == h_old.index("#")
    # a refit replaces its own words and keeps the author's reason once
    assert cli.main(["warmup", str(path), *FAST, "--seed", "1", "--write"]) == 0
    again = path.read_text(encoding="utf-8").splitlines()
    assert sum(reason in line for line in again) == 1 and "--seed 1" in "\n".join(again)
    assert sim.load_scenario(path).horizon_days - sim.load_scenario(path).warmup_days == 9


@pytest.mark.parametrize(("args", "said"), [
    (["--replications", "0"], "--replications"),
    (["--days", "-3"], "--days"),
    (["--days", "10"], "give at least 14"),
    (["--window", "x"], "--window"),
    (["--seed", "-1"], "--seed"),
    (["--tolerance", "2"], "--tolerance"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, said, capsys):
    assert cli.main(["warmup", str(SMALL), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0] and "Traceback" not in err[0]


def test_unsafe_writes_are_refused_before_any_run(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert cli.main(["warmup", str(missing), "--write"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    # promotions are placed by simulated day: a warm-up would slide the measured week off Black Friday
    friday = tmp_path / "black_friday.yaml"
    shutil.copy(ROOT / "scenarios" / "black_friday.yaml", friday)
    text = friday.read_bytes()
    assert cli.main(["warmup", str(friday), "--write"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "promotions" in err[0] and friday.read_bytes() == text
    link = tmp_path / "link.yaml"
    link.symlink_to(SMALL)
    assert cli.main(["warmup", str(link), "--write"]) == 2
    assert "regular file" in capsys.readouterr().err


def test_a_run_too_short_to_settle_exits_1_writes_nothing_and_shows_why(tmp_path, capsys):
    path = unfitted(tmp_path)
    text = path.read_bytes()
    charts = tmp_path / "charts"
    argv = ["warmup", str(path), "--replications", "1", "--days", "14", "--workers", "1", "--write",
            "--plot", str(charts)]
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    err = err.strip().splitlines()
    assert len(err) == 1 and "has not settled" in err[0] and "nothing written" in err[0]
    assert path.read_bytes() == text
    # Welch's chart of each setup shows why: the average still falling at the end of the run
    assert sorted(p.name for p in charts.iterdir()) == [f"welch-{s}.png" for s in sorted(sim.SETUP_NAMES)]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in charts.iterdir())
    assert cli.main(argv) == 2  # a non-empty chart folder is refused without --force, before any run
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"omnisim: --plot {charts}: not empty")


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_warm_up_is_fitted_by_the_command_or_says_why_not(path):
    """Each library scenario's warm-up line names the command that fitted it, or (Black Friday week, a run that
    ends with its promotion) says why the scenario starts from full stock on purpose."""
    line = next(x for x in path.read_text(encoding="utf-8").splitlines() if x.startswith("warmup_days:"))
    sc = sim.load_scenario(path)
    if sc.promotions:
        assert sc.warmup_days == 0 and "terminating" in line
    else:
        assert "fitted by `omnisim warmup" in line and sc.warmup_days > 0


def test_a_horizon_inside_the_warm_up_says_how_to_measure_days():
    """The library's warm-ups are days before the measured ones: a horizon override shorter than the warm-up
    is refused in one line that says what horizon measures D days."""
    from sim.scenario.schema import ScenarioError

    warm = sim.load_scenario(SMALL).warmup_days
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(SMALL, {"horizon_days": 2})
    assert info.value.problems == [f"warmup_days: must be shorter than horizon_days (got {warm:g} and 2); the "
                                   f"horizon includes the warm-up: to measure D days give horizon_days {warm:g} + D, "
                                   "or set warmup_days too"]
