"""The dashboard (sim.interfaces.dashboard): its levers and upload checks, then the real server on 127.0.0.1 driven by
Debian's headless Chromium through the DevTools protocol (tests/browser.py): a small comparison run through the
page, and a broken scenario uploaded through the page's file input. No mock of Panel, Chromium or the model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib import image

pytest.importorskip("panel")

from sim.interfaces import dashboard  # noqa: E402
from sim.scenario.schema import ScenarioError, load_scenario, scenario_from_dict  # noqa: E402
from sim.scenario.setups import resolve  # noqa: E402

from .browser import Browser, DashboardServer, run_small_comparison  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
CROSS_CHANNEL_ORANGE = (230, 159, 0)  # Okabe-Ito's second colour: cross-channel's bars, in no part of Panel's UI


# --------------------------------------------------------------------------------------------- without a browser
def test_levers_become_overrides_the_loader_checks():
    base = load_scenario(DEFAULT)
    levers = dashboard.Levers(staff_change=-4, stock_cover_days=12, sync_interval_min=60, reminders=False,
                              chatbot=False, days=2, customers_per_day=900)
    over = dashboard.lever_overrides(base, levers, ["multichannel", "omnichannel"])
    sc = scenario_from_dict(yaml.safe_load(DEFAULT.read_text()), over)
    assert [s.staff for s in sc.stores] == [1] * len(base.stores)  # at least one person stays on the floor
    assert {s.replenishment.order_up_to_days for s in sc.stores} == {12}
    assert sc.fulfilment.sync_interval_min == 60 and sc.customers_per_day == 900
    assert sc.horizon_days - sc.warmup_days == 2  # days measured after the scenario's own warm-up
    omni = resolve(sc, "omnichannel")
    assert not omni.cart_reminders and not omni.chatbot and resolve(sc, "multichannel") == resolve(base, "multichannel")
    assert dashboard.lever_overrides(base, dashboard.Levers(), ["multichannel", "omnichannel"]) == {}


def test_breakdowns_show_numbers_for_people_and_still_sort_by_value():
    """Issue 28: the breakdown tables printed raw floats under snake_case names. Shares become percentages, each
    KPI is titled with its label and unit, 3 significant figures at the column's scale; the cells stay numbers."""
    import pandas as pd

    frame = pd.DataFrame({"setup": ["a", "b"], "store": ["x", "y"], "store_service_level": [0.95, 0.991],
                          "orders": [12345.0, 234.0], "store_wait_mean_min": [0.123, 1.5]})
    shown, columns = dashboard.people_table(frame)
    assert shown["store_service_level"].tolist() == pytest.approx([95.0, 99.1])
    assert shown["orders"].tolist() == frame["orders"].tolist()  # numbers: a click sorts by value
    assert columns["titles"] == {"store_service_level": "Store service level (%)", "orders": "Orders",
                                 "store_wait_mean_min": "Store wait (minutes)"}
    precision = {k: f["precision"] for k, f in columns["formatters"].items()}
    assert precision == {"store_service_level": 1, "orders": 0, "store_wait_mean_min": 2}
    assert all(f["thousand"] == "," for f in columns["formatters"].values())


def test_a_lever_the_scenario_refuses_is_named_by_its_field():
    data = yaml.safe_load(DEFAULT.read_text())
    over = dashboard.lever_overrides(load_scenario(DEFAULT), dashboard.Levers(sync_interval_min=-5), ["omnichannel"])
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, over)
    assert any(p.startswith("fulfilment.sync_interval_min:") for p in err.value.problems)


def broken_scenario() -> bytes:
    """The default scenario with the channels of its second segment summing to 1.18."""
    data = yaml.safe_load(DEFAULT.read_text())
    channels = data["segments"][1]["channels"]
    channels[next(iter(channels))] += 0.18
    return yaml.safe_dump(data).encode()


def test_upload_checks_give_the_loaders_lines():
    with pytest.raises(ScenarioError) as err:
        dashboard.read_upload(broken_scenario(), "mine.yaml")
    assert err.value.problems == ["mine.yaml: segments.1.channels: channels must sum to 1 (got 1.18)"]
    with pytest.raises(ScenarioError, match="not valid YAML at line 2"):
        dashboard.read_upload(b"name: x\n  bad: [\n", "bad.yaml")
    assert dashboard.read_upload(DEFAULT.read_bytes(), "default.yaml")["name"] == "fashion-default"
    assert next(iter(dashboard.library())) == "default"


@pytest.mark.slow
def test_the_page_objects_run_in_process(tmp_path):
    """What a notebook shows (``Dashboard().view``): Run returns at once, the run goes on in a thread, and the
    session's poll then lays out the decision, the charts, the breakdowns and the downloads."""
    board = dashboard.Dashboard(results_root=tmp_path)
    assert board.setups.value == ["multichannel", "cross-channel", "omnichannel"]
    board.setups.value = ["multichannel", "omnichannel"]
    board.days.value, board.customers.value, board.replications.value, board.workers.value = 1, 500, 2, 1
    board._start()
    assert board.run.disabled and board.progress.visible and board.job is not None
    board.job.thread.join(120)
    board._check()
    assert not board.job.error and not board.run.disabled and board.progress.value == 4
    kinds = [type(o).__name__ for o in board.results.objects]
    assert kinds.count("PNG") >= 4 and kinds.count("Tabulator") == 2 and kinds[-1] == "Row"
    names = {n.filename for n in dashboard.zipfile.ZipFile(dashboard.zip_folder(board.job.folder)).infolist()}
    assert {"run-1/summary.csv", "run-1/decision.json", "run-1/report.html", "run-1/kpis.png"} <= names
    board.stock.value = -1.0  # a lever the loader refuses: its message, no run
    board._start()
    assert board.messages.visible and "stores.0.replenishment.order_up_to_days" in board.messages.object
    assert board.runs == 1


# --------------------------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = DashboardServer(tmp_path_factory.mktemp("dashboard"))
    yield srv
    srv.stop()


def _colour_pixels(png: Path, rgb: tuple[int, int, int], tol: int = 12) -> int:
    pixels = (image.imread(png)[..., :3] * 255).astype(int)
    return int((np.abs(pixels - np.array(rgb)).max(axis=-1) <= tol).sum())


def test_a_comparison_runs_through_the_page(chromium, server, tmp_path):  # noqa: F811
    async def drive() -> tuple[str, list[str], list, Path]:
        async with Browser(chromium, tmp_path / "profile") as page:
            seen: list[str] = []

            async def watch() -> None:  # what the page says while the run goes on in the background
                while True:
                    try:
                        seen.append(await page.text())
                    except RuntimeError:  # between two pages
                        pass
                    await asyncio.sleep(0.1)

            watcher = asyncio.ensure_future(watch())
            try:
                text = await run_small_comparison(page, server.url)
            finally:
                watcher.cancel()
            images = await page.images()
            shot = await page.screenshot(tmp_path / "dashboard.png", full_page=True)
            return text, seen, images, shot

    text, seen, images, shot = asyncio.run(drive())
    folder = next((Path(server.log).parent / "omnisim-dashboard").glob("*/run-*"))
    decision = json.loads((folder / "decision.json").read_text())
    # the summary: the decision's sentences as the results folder has them, the table, the payback, the breakdowns
    assert "The decision" in text and decision["sentences"][0][:60] in " ".join(text.split())
    for heading in ("Payback", "Headline KPIs", "Paired differences", "By store", "By channel", "Downloads",
                    "Results folder (zip)", "HTML report"):
        assert heading in text, heading
    assert (folder / "report.html").is_file() and (folder / "summary.csv").is_file()
    # the page kept answering while the run went on: it showed the progress before the results
    assert any("replications done" in t or "Running 6 replications" in t for t in seen)
    # at least two charts, decoded: the changes, the payback, the headline KPIs, the paired differences, ...
    assert len(images) >= 4, images
    assert all(i["shown"] > 200 for i in images)
    # the screenshot shows them: cross-channel's orange bars are drawn nowhere but in the charts
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _colour_pixels(shot, CROSS_CHANNEL_ORANGE) > 500


def test_a_broken_upload_shows_the_field_path_in_the_page(chromium, server, tmp_path):  # noqa: F811
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(broken_scenario())

    async def drive() -> str:
        async with Browser(chromium, tmp_path / "profile") as page:
            await page.goto(server.url)
            await page.wait_for("window.__deep(document, 'input[type=file]').length > 0")
            await page.upload(broken)
            return await page.wait_for(
                "window.__text(document.body).indexOf('segments.1.channels') >= 0 && window.__text(document.body)",
                timeout_s=60)

    text = asyncio.run(drive())
    assert "broken.yaml: segments.1.channels: channels must sum to 1 (got 1.18)" in text
    assert "broken.yaml cannot be used" in text


def test_an_upload_goes_through_the_readers_of_user_files():
    """An uploaded scenario meets the CLI's checks (issue 14): duplicate keys, alias bombs, binary, UTF-16."""
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    for data, expected in ((b"name: a\nname: b\n", "duplicate key"), (laughs.encode(), "alias"),
                           (b"\x00\x01binary", "binary"), ("name: x".encode("utf-16"), "UTF-16")):
        with pytest.raises(ScenarioError) as info:
            dashboard.read_upload(data, "up.yaml")
        assert len(info.value.problems) == 1 and info.value.problems[0].startswith("up.yaml: "), info.value.problems
        assert expected in info.value.problems[0], info.value.problems


# --------------------------------------------------------------------------------------------- behaviour (issue 24)
SMALL = ROOT / "scenarios" / "small_business.yaml"


def test_behaviour_levers_are_the_registers_and_go_through_with_values():
    """The behaviour levers name register paths, are written into every item a ``*`` names with the balancing
    share adjusted (as ``with_values`` does), after the preset; the record names each change."""
    from sim.scenario.assumptions import ranges, with_preset, with_values
    from sim.scenario.evidence import by_path

    base = load_scenario(DEFAULT)
    assert {p for p, _, _ in dashboard.BEHAVIOUR_LEVERS} <= set(by_path()) & set(ranges(base))
    values = {"segments.*.stockout_reaction.wait": 0.5, "segments.*.recommendation_accept": 0.02}
    levers = dashboard.Levers(days=2, preset="market-studies", behaviour=values)
    sc, record = dashboard.lever_scenario(yaml.safe_load(DEFAULT.read_text()), base, levers, ["multichannel"])
    expected = with_values(with_preset(scenario_from_dict(yaml.safe_load(DEFAULT.read_text()),
                                                          {"horizon_days": base.warmup_days + 2}),
                                       "market-studies"), values)
    assert sc == expected
    for seg, old in zip(sc.segments, base.segments, strict=True):
        assert seg.recommendation_accept == 0.02 and seg.stockout_reaction.wait == 0.5
        # the balancing share took up the change: the reaction still sums to 1
        assert sum(seg.stockout_reaction.model_dump().values()) == pytest.approx(1.0)
        assert seg.stockout_reaction != old.stockout_reaction
    # the preset's other values are in (the market studies' pickup extra purchase), the levers' over them
    market = with_preset(base, "market-studies")
    assert sc.fulfilment.pickup_extra_purchase_prob == market.fulfilment.pickup_extra_purchase_prob
    assert record == [f"horizon_days={base.warmup_days + 2}", "assumptions preset: market-studies",
                      "segments.*.stockout_reaction.wait=0.5", "segments.*.recommendation_accept=0.02"]
    # no lever set: the scenario as it is
    same, none = dashboard.lever_scenario(yaml.safe_load(DEFAULT.read_text()), base, dashboard.Levers(), ["omnichannel"])
    assert same == base and none == []


def test_a_behaviour_lever_outside_its_evidence_is_refused_by_path():
    from sim.scenario.assumptions import ranges

    base = load_scenario(DEFAULT)
    data = yaml.safe_load(DEFAULT.read_text())
    rng = ranges(base)["segments.*.recommendation_accept"]
    too_high = dashboard.Levers(behaviour={"segments.*.recommendation_accept": rng.high + 0.1})
    with pytest.raises(ScenarioError) as err:
        dashboard.lever_scenario(data, base, too_high, ["omnichannel"])
    assert err.value.problems == [f"segments.*.recommendation_accept: {rng.high + 0.1:g} is outside the evidence's "
                                  f"range; allowed: {rng.low:g} to {rng.high:g} ({rng.kind})"]


def test_the_page_shows_each_levers_evidence_and_refuses_one_assumption_run(tmp_path):
    """Beside each behaviour lever: the range the scenario's runs use, its kind and the register's default; the
    placeholder gives the scenario's own value; one plausible behaviour is no spread and is refused."""
    from sim.scenario.assumptions import ranges

    board = dashboard.Dashboard(results_root=tmp_path)
    known = ranges(load_scenario(DEFAULT))
    for path, _, _ in dashboard.BEHAVIOUR_LEVERS:
        rng, widget = known[path], board.behaviour[path]
        assert (widget.start, widget.end) == (rng.low, rng.high) and widget.value is None
        assert board.evidence[path].object == dashboard.evidence_text(rng)
        assert rng.kind in board.evidence[path].object and widget.placeholder.startswith("as in the scenario (")
    assert known["segments.*.recommendation_accept"].kind in board.evidence["segments.*.recommendation_accept"].object
    board.assumptions.value = 1
    board._start()
    assert board.messages.visible and "assumptions: 1 plausible behaviours" in board.messages.object
    assert board.job is None


BEHAVIOUR_RUN = ("?scenario=small_business&days=2&replications=2&workers=1&assumptions=3&break_evens=1"
                 "&rec_accept=0.05")


def test_a_run_with_assumption_runs_shows_the_behaviour_table(chromium, tmp_path):  # noqa: F811
    """Through the page: the behaviour levers show their evidence's range, a lever set in the URL goes into the
    run, and a run with three plausible behaviours shows the behaviour table and the tornado."""
    from sim.scenario.assumptions import ranges

    (tmp_path / "server").mkdir()
    srv = DashboardServer(tmp_path / "server")  # its own: the module's server's results folders stay the others'
    try:
        async def drive() -> tuple[str, str, list]:
            async with Browser(chromium, tmp_path / "profile") as page:
                await page.goto(srv.url + BEHAVIOUR_RUN)
                before = await page.wait_for("window.__text(document.body).indexOf('evidence:') >= 0 && "
                                             "window.__text(document.body)")
                await run_small_comparison(page, srv.url, query=BEHAVIOUR_RUN)
                await page.wait_for("window.__text(document.body).indexOf('Across plausible behaviour') >= 0")
                return before, await page.text(), await page.images()

        before, text, images = asyncio.run(drive())
    finally:
        srv.stop()
    flat = " ".join(before.split())
    known = ranges(load_scenario(SMALL))
    for path, _, _ in dashboard.BEHAVIOUR_LEVERS:
        assert " ".join(dashboard.evidence_text(known[path]).split()) in flat, path
    folder = next((tmp_path / "server" / "omnisim-dashboard").glob("*/run-*"))
    decision = json.loads((folder / "decision.json").read_text())
    meta = json.loads((folder / "meta.json").read_text())
    assert decision["behaviour"]["draws"] == 3 and "segments.*.recommendation_accept=0.05" in meta["overrides"]
    assert (folder / "behaviour.csv").is_file() and (folder / "tornado.png").is_file()
    flat = " ".join(text.split())
    assert "Across plausible behaviour" in flat and "What the operating-margin gain depends on" in flat
    for row in decision["behaviour"]["kpis"][:6]:  # the behaviour table's verdicts, as decision.json has them
        assert row["verdict"] in flat
    assert "across behaviour" in flat and "noise" in flat
    assert len(images) >= 5, images  # the changes, the tornado, the payback, the KPIs, the differences, ...


PAYBACK_ROWS = """(function () {
  var t = window.__deep(document, 'table').filter(function (x) {
    return x.textContent.indexOf('payback in months [interval]') >= 0; })[0];
  if (!t) { return null; }
  return Array.prototype.map.call(t.querySelectorAll('tbody tr'), function (r) {
    return Array.prototype.map.call(r.querySelectorAll('td'), function (c) { return c.textContent.trim(); }); });
})()"""


def test_the_dashboards_payback_table_is_the_reports(chromium, server, tmp_path):  # noqa: F811
    """The report's first screen and the dashboard's payback table, both rendered in Chromium, show the same
    formatted strings (currency, months with their interval, 12-month ROI, running costs), priced with the
    scenario's own costs for its 10 stores; a whole week measured, so that the payback has a yearly figure."""
    query = "?scenario=default&days=7&customers=150&replications=2&workers=1"

    async def drive() -> tuple[list, list, str]:
        async with Browser(chromium, tmp_path / "profile") as page:
            text = await run_small_comparison(page, server.url, query=query)
            shown = await page.evaluate(PAYBACK_ROWS)
            folders = sorted((Path(server.log).parent / "omnisim-dashboard").glob("*/run-*"),
                             key=lambda p: p.stat().st_mtime)
            await page.goto((folders[-1] / "report.html").as_uri())
            return shown, await page.evaluate(PAYBACK_ROWS), text

    shown, report, text = asyncio.run(drive())
    assert shown and shown == report, (shown, report)
    assert [r[0] for r in shown] == ["cross-channel", "omnichannel"]
    for row in shown:
        assert row[2].endswith(" €") and " € – " in row[2] and " € – " in row[3]  # one-off and running, in euros
        assert "[" in row[5] or row[5] == "never"  # months with their interval
        assert row[6].count("%") == 3  # the 12-month ROI with its interval
    assert "staff training" in text and "Priced with the scenario's costs: section, for 10 stores" in text


@pytest.mark.slow
def test_the_page_chooses_staff_per_store_in_process(tmp_path):
    """Issue 28: the dashboard's per-store staffing is :func:`sim.staff_per_store` behind a button: it runs in a
    thread, the poll shows its steps and then the table and chart of ``omnisim staff`` (staff exclude cashiers)."""
    board = dashboard.Dashboard(results_root=tmp_path)
    assert board.staff_setup.value == "omnichannel" and board.staff_target.value == 0.8
    board.days.value, board.customers.value, board.workers.value = 1, 300, 1
    board.staff_target.value = 0.5
    board._start_staffing()
    assert board.staff_run.disabled and board.run.disabled and board.staff_job is not None
    board.staff_job.thread.join(300)
    board._check_staffing()
    job = board.staff_job
    assert not job.error and not board.staff_run.disabled and job.plan.all_met
    assert [type(o).__name__ for o in board.results.objects] == ["Markdown", "DataFrame", "PNG"]
    assert "exclude cashiers" in board.results.objects[0].object
    assert job.plan.totals["replications"] == dashboard.STAFF_REPLICATIONS
    board.stock.value = -1.0  # a lever the loader refuses: its message, no search
    board._start_staffing()
    assert board.messages.visible and "stores.0.replenishment.order_up_to_days" in board.messages.object
