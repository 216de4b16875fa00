"""The evidence register for behaviour (sim/scenario/evidence.py): complete, well-formed, inside the scenario's own
bounds, its market-studies preset honest about what lies outside the evidence, and its generated table current."""

from __future__ import annotations

import annotated_types as at
import pytest

import sim
from sim.interfaces import cli
from sim.outputs.reference import EVIDENCE_FILE, _inner, evidence_markdown, library_default, models
from sim.scenario import evidence
from sim.scenario.evidence import CLAIMS, KINDS, PRESETS, REGISTER, by_path, concrete_paths, outside, value_at
from sim.scenario.setups import Capabilities

from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"
REGENERATE = f"run `make docs` or `omnisim reference --evidence {EVIDENCE_FILE}`"
MARKET_STUDIES = "/work/shared/market-studies"

# The behavioural fields the setups act through, found by grepping sim/core for the scenario fields read beside a
# capability switch (`caps.`): fulfilment.py (recommendations, click & collect, pickup extras, stockout 'wait'
# through endless aisle / shared stock / transfers), model.py and journey.py (cart continuity), marketing.py
# (reminders, chatbot, channel prices, offers). pickup_point_share is offered in every setup but shares its draw
# with click & collect.
BEHAVIOURAL = (
    "segments.*.recommendation_accept", "segments.*.restart_abandon_prob", "fulfilment.cart_friction",
    "fulfilment.pickup_extra_purchase_prob", "segments.*.click_collect_share", "segments.*.pickup_point_share",
    "segments.*.stockout_reaction.wait", "segments.*.marketing.cart_abandon_prob",
    "segments.*.marketing.reminder_return_prob", "segments.*.marketing.chatbot_containment",
    "segments.*.marketing.chatbot_failure", "segments.*.marketing.price_reaction.switch",
    "segments.*.marketing.price_reaction.haggle", "segments.*.marketing.price_reaction.leave",
    "marketing.price_gap_noticed", "marketing.offers.*.uptake",
    "segments.*.stock_view_to_store_prob", "segments.*.stock_view_skip_trip_prob",  # choice.py (visibility)
)
# Every other probability of the schema, with why it is not in the register (no setup changes what it does).
NOT_SETUP_BEHAVIOUR = {
    "evidence.*.low": "a scenario's own range for a register parameter, not a parameter itself",
    "costs.*.share_of_systems.low": "a cost (change management's share of the project), not behaviour: the "
                                    "costs: item carries its own source and kind",
    "costs.*.share_of_systems.high": "the same cost range's upper end",
    "evidence.*.high": "as above",
    "segments.*.share": "the customer mix, the same in every setup",
    "stores.*.advice_prob": "store service, the same in every setup",
    "segments.*.stockout_reaction.substitute": "every setup; the customer's own choice on the shelf",
    "segments.*.stockout_reaction.other_store": "every setup: the customer goes to the next store whatever it shows",
    "segments.*.stockout_reaction.drop_item": "the remainder of the group: balances 'wait'",
    "segments.*.stockout_reaction.drop_basket": "every setup",
    "segments.*.after_sale.repeat_promoter": "loyalty by experience: setups act through the experience, not this",
    "segments.*.after_sale.repeat_passive": "loyalty by experience (as above)",
    "segments.*.after_sale.repeat_detractor": "loyalty by experience (as above)",
    "segments.*.after_sale.return_store": "an operating rate (sim/scenario/benchmarks.py), the same in every setup",
    "segments.*.after_sale.return_online": "an operating rate (as above)",
    "segments.*.after_sale.review_prob": "measurement of satisfaction, not a purchase",
    "segments.*.after_sale.promoter_prob": "measurement of satisfaction, not a purchase",
    "segments.*.after_sale.detractor_prob": "measurement of satisfaction, not a purchase (fitted to the CSAT band)",
    "segments.*.marketing.price_reaction.accept": "the remainder of the group: balances switch, haggle and leave",
    "fulfilment.return_writeoff_share": "operations: what returns cost, the same in every setup",
    "promotions.*.pull_forward": "promotions run in every setup",
}
# a list the default scenario leaves empty gets one item, so that the entry's path can be set
SEED = {"marketing.offers": [{"recipients": 100, "uptake": 0.05}]}


@pytest.fixture(scope="module")
def today() -> sim.Scenario:
    return sim.load_scenario(DEFAULT)


def test_every_entry_is_well_formed():
    caps = {f for f in Capabilities.__dataclass_fields__}
    assert set(evidence.CAPABILITIES) == caps, "evidence.CAPABILITIES is out of step with Capabilities"
    assert len({e.path for e in REGISTER}) == len(REGISTER), "one entry per path"
    for e in REGISTER:
        assert e.kind in KINDS, (e.path, e.kind)
        assert e.checked in evidence.CHECKS, (e.path, e.checked)
        assert e.source.strip() and e.note.strip() and e.unit.strip(), e.path
        assert e.low <= e.default <= e.high, e.path
        assert set(e.mechanism) <= caps, (e.path, e.mechanism)
        if e.kind == "assumption":  # only an assumption: a wide range, the default inside its middle half
            assert e.high - e.low >= 0.15 or e.high >= 4 * e.low, f"{e.path}: an assumption needs a wide range"
            assert e.low + (e.high - e.low) / 4 <= e.default <= e.high - (e.high - e.low) / 4, e.path
        if e.checked == "none":
            assert "assumption" in (e.kind + e.source + e.note).lower(), f"{e.path}: unchecked but not an assumption"


def test_every_behavioural_field_is_in_the_register():
    assert set(BEHAVIOURAL) == set(by_path()), "the register and the list of behavioural fields differ"


def _probabilities() -> set[str]:
    """Every field of the schema bounded to [0, 1], as a dotted path with ``*`` for list items."""
    found = set()
    for model, paths in models():
        for name, info in model.model_fields.items():
            meta = list(info.metadata) + _inner(info.annotation)[1]
            ge = any(isinstance(m, at.Ge) and m.ge == 0 for m in meta)
            le = any(isinstance(m, at.Le) and m.le == 1 for m in meta)
            if ge and le:
                found |= {f"{p}.{name}" if p else name for p in paths}
    return found


def test_every_probability_of_the_schema_is_registered_or_left_out_with_a_reason():
    probs = _probabilities()
    assert "segments.*.recommendation_accept" in probs and "fulfilment.cart_friction" in probs
    unsorted = probs - set(by_path()) - set(NOT_SETUP_BEHAVIOUR)
    assert not unsorted, f"probabilities neither in the register nor left out with a reason: {sorted(unsorted)}"
    assert not set(by_path()) & set(NOT_SETUP_BEHAVIOUR)
    assert set(by_path()) - {"marketing.price_gap_noticed"} <= probs  # the rest are probabilities too


def _overrides(data: dict, e: evidence.Evidence, value: float) -> dict:
    """Dotted overrides setting ``e``'s field to ``value`` everywhere its path reaches in ``data`` (the validated
    default scenario), moving its balancing field the other way so that the group still sums to 1."""
    out: dict = {}
    for prefix, items in SEED.items():
        if not value_at(data, prefix):
            out[prefix] = items
            data = {**data, prefix.split(".")[0]: {**data[prefix.split(".")[0]], prefix.split(".")[1]: items}}
    for p in concrete_paths(data, e.path):
        out[p] = value
        if e.balance:
            b = p.rsplit(".", 1)[0] + "." + e.balance.rsplit(".", 1)[1]
            out[b] = round(value_at(data, b) - (value - value_at(data, p)), 10)
    assert any(k.endswith(e.path.rsplit(".", 1)[1]) for k in out), e.path
    return out


@pytest.mark.parametrize("entry", REGISTER, ids=lambda e: e.path)
def test_range_loads_within_the_fields_own_bounds(entry, today):
    data = today.model_dump(mode="json")
    for value in (entry.low, entry.default, entry.high):
        sc = sim.load_scenario(DEFAULT, _overrides(data, entry, value))
        got = evidence.values_at(sc.model_dump(mode="json"), entry.path)
        assert got and all(v == pytest.approx(value) for v in got), (entry.path, value, got)


def test_every_entry_has_a_label_for_people():
    assert set(evidence.LABELS) == {e.path for e in REGISTER}


def test_library_scenarios_sit_inside_the_evidence():
    """Every library scenario's behavioural values lie in the register's range, or in the scenario's own range
    given with its source (grocery's drive)."""
    from sim.outputs.decision import behaviour_warnings

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert behaviour_warnings(sim.load_scenario(path).model_dump(mode="json"))[1:] == [], path.name


def test_todays_values_are_read_from_the_default_scenario(today):
    data = today.model_dump(mode="json")
    # a few values the default file states, read through the register's paths
    assert evidence.values_at(data, "segments.*.recommendation_accept") == [0.08, 0.08, 0.08]
    assert evidence.values_at(data, "fulfilment.pickup_extra_purchase_prob") == [0.25]
    assert evidence.values_at(data, "marketing.offers.*.uptake") == []
    table = {line.split(" | ")[0].split("`")[1]: line.split(" | ") for line in evidence_markdown(today).splitlines()
             if line.startswith("| [`")}
    for e in REGISTER:
        nums = [float(v) for v in evidence.values_at(data, e.path)]
        cell = table[e.path][-1].rstrip(" |")
        if not nums:
            assert cell == "—", e.path
        else:
            assert cell.split("–")[0] == f"{min(nums):.4g}" and cell.split("–")[-1] == f"{max(nums):.4g}", e.path


def test_market_studies_preset_is_in_range_or_flagged_outside_on_purpose():
    reg = by_path()
    for name, values in PRESETS.items():
        assert set(values) <= set(reg), f"preset {name} names paths outside the register"
        assert outside(name) == evidence.OUTSIDE_ON_PURPOSE.get(name, frozenset()), (
            f"preset {name}: the values outside the evidence must be exactly those flagged as outside on purpose")
    claimed = {p for c in CLAIMS for p in c.paths}
    assert claimed <= set(PRESETS[evidence.MARKET_STUDIES]), "every path a claim bears on has a preset value"
    for c in CLAIMS:
        assert c.kind in KINDS and c.kind in ("market-study claim", "vendor claim")
        assert c.source.endswith(".txt") and c.figure and c.what and c.note


def test_claims_cite_files_that_exist_with_their_figures():
    import os
    if not os.path.isdir(MARKET_STUDIES):
        pytest.skip("the market studies are not on this machine")
    text = {c.source: open(os.path.join(MARKET_STUDIES, c.source), encoding="utf-8").read() for c in CLAIMS}
    for c in CLAIMS:
        number = next(t for t in c.figure.replace("+", " ").split() if t[0].isdigit()).split("-")[0].rstrip("%")
        assert number in text[c.source], f"{c.figure}: {number} not in {c.source}"


def test_committed_register_is_current(today):
    committed = (ROOT / EVIDENCE_FILE).read_text(encoding="utf-8")
    assert committed == evidence_markdown(today), f"{EVIDENCE_FILE} is out of date: {REGENERATE}"
    assert library_default() == today


def test_cli_writes_the_register(tmp_path, capsys, today):
    out = tmp_path / "evidence.md"
    assert cli.main(["reference", "--evidence", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_text(encoding="utf-8") == evidence_markdown(today)


def test_concrete_paths_expand_stars_take_indexes_and_keep_missing_keys_on_request():
    from sim.scenario.evidence import concrete_paths

    data = {"stores": [{"staff": 3}, {"staff": 4}], "fulfilment": {}}
    assert concrete_paths(data, "stores.*.staff") == ["stores.0.staff", "stores.1.staff"]
    assert concrete_paths(data, "stores.1.staff") == ["stores.1.staff"]
    assert concrete_paths(data, "stores.5.staff") == [] and concrete_paths(data, "channel_mix.online_share") == []
    assert concrete_paths(data, "channel_mix.online_share", keep_missing=True) == ["channel_mix.online_share"]
    assert concrete_paths(data, "stores.*.tills", keep_missing=True) == ["stores.0.tills", "stores.1.tills"]
