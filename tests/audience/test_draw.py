"""Prize draws: only eligible phones win, once per draw unless allowed; claim codes; the
record re-verifies, tampering is caught; exports carry no phone ids."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.audience import (
    AudienceError,
    ClaimCodes,
    Draw,
    Eligibility,
    Ledger,
    Prize,
    eligible,
    export_csv,
    export_json,
    verify_public,
)
from quiz.audience.draw import CODE_ALPHABET, CODE_LENGTH, pick
from tests.audience.helpers import judged, ledger_from

phones_table = st.dictionaries(
    st.sampled_from([f"p{i:02d}" for i in range(40)]),
    st.fixed_dictionaries({}, optional={"s0": st.integers(0, 3), "s1": st.integers(0, 3)}),
    min_size=1,
)


def prepared(ledger: Ledger, count: int = 3, k: int = 1, **kw: Any) -> Draw:
    prize = Prize.create("usb", "纪念U盘", count)
    return Draw.prepare("d1", prize, ledger, Eligibility(k), at_ms=100, **kw)


@settings(max_examples=120, deadline=None)
@given(
    table=phones_table,
    k=st.integers(0, 4),
    stage=st.sampled_from([None, "s0", "s1"]),
    count=st.integers(1, 50),
    allow_repeat=st.booleans(),
    exclude=st.sets(st.sampled_from([f"p{i:02d}" for i in range(40)]), max_size=5),
    seed=st.integers(0, 2**32),
)
def test_draws_pick_only_eligible_phones_once_each(
    table: dict[str, dict[str, int]],
    k: int,
    stage: str | None,
    count: int,
    allow_repeat: bool,
    exclude: set[str],
    seed: int,
) -> None:
    ledger = ledger_from(table, stages=2)
    rule = Eligibility(k, stage)
    allowed = {
        p
        for p, row in table.items()
        if p not in exclude and (sum(row.values()) if stage is None else row.get(stage, 0)) >= k
    }
    prize = Prize.create("p", "奖品", count)
    if not allowed:
        with pytest.raises(AudienceError) as err:
            Draw.prepare("d", prize, ledger, rule, at_ms=0, exclude=exclude)
        assert err.value.code == "no_eligible"
        return
    rng = random.Random(seed)
    draw = Draw.prepare(
        "d", prize, ledger, rule, at_ms=0, exclude=exclude, allow_repeat=allow_repeat, rng=rng
    )
    assert set(draw.eligible) == allowed and draw.eligible == tuple(eligible(ledger, rule, exclude))
    done = draw.run(ClaimCodes(rng=rng), at_ms=1)
    assert done.winners is not None
    winners = [w.phone for w in done.winners]
    assert set(winners) <= allowed
    if allow_repeat:
        assert len(winners) == count
    else:
        assert len(winners) == len(set(winners)) == min(count, len(allowed))
    codes = [w.claim_code for w in done.winners]
    assert len(set(codes)) == len(codes)
    assert done.verify() == []
    assert verify_public(done.public_dict(include_codes=False)) == []


def test_same_seed_material_same_winners_and_codes_are_not_from_the_seed() -> None:
    ledger = ledger_from({f"p{i}": {"s0": 1} for i in range(30)})
    a = prepared(ledger, rng=random.Random(7)).run(ClaimCodes(rng=random.Random(1)), at_ms=5)
    b = prepared(ledger, rng=random.Random(7)).run(ClaimCodes(rng=random.Random(2)), at_ms=5)
    assert a.seed_material == b.seed_material and a.commitment == b.commitment
    assert [w.phone for w in a.winners or ()] == [w.phone for w in b.winners or ()]
    assert [w.claim_code for w in a.winners or ()] != [w.claim_code for w in b.winners or ()]


def test_public_input_changes_the_outcome_and_is_recorded() -> None:
    ledger = ledger_from({f"p{i}": {"s0": 1} for i in range(30)})
    draw = prepared(ledger, count=5, rng=random.Random(7))
    plain = draw.run(ClaimCodes(), at_ms=5)
    called = draw.run(ClaimCodes(), at_ms=5, public_input=" 4821 ")
    assert called.public_input == "4821"
    assert [w.index for w in plain.winners or ()] != [w.index for w in called.winners or ()]
    assert called.verify() == [] and plain.verify() == []


def test_commitment_is_published_before_and_the_seed_only_after() -> None:
    ledger = ledger_from({"a": {"s0": 1}, "b": {"s0": 1}})
    draw = prepared(ledger, count=1)
    before = draw.public_dict()
    assert before["seed_material"] is None and before["winners"] is None
    assert before["commitment"] == hashlib.sha256(bytes.fromhex(draw.seed_material)).hexdigest()
    assert len(draw.seed_material) == 32  # 128 bits
    assert verify_public(before) == []
    after = draw.run(ClaimCodes(), at_ms=200).public_dict()
    assert after["seed_material"] == draw.seed_material
    assert after["commitment"] == before["commitment"]


def test_verification_recipe_from_the_docs() -> None:
    """What an outside checker does with a published record, with nothing but the stdlib."""
    ledger = ledger_from({f"p{i}": {"s0": 1} for i in range(25)})
    done = prepared(ledger, count=4).run(ClaimCodes(), at_ms=9, public_input="77")
    record = json.loads(export_json([done], include_codes=False))[0]
    seed_material = bytes.fromhex(record["seed_material"])
    assert hashlib.sha256(seed_material).hexdigest() == record["commitment"]
    terms = (
        "quiz-draw-v1\n"
        f"draw={record['draw']}\n"
        f"prize_count={record['prize']['count']}\n"
        f"allow_repeat={int(record['allow_repeat'])}\n"
        f"eligible_count={record['eligible_count']}\n"
        f"eligible_digest={record['eligible_digest']}\n"
        f"public_input={record['public_input']}"
    )
    digest = hashlib.sha256(seed_material + terms.encode("utf-8")).digest()
    rng = random.Random(int.from_bytes(digest, "big"))
    assert rng.sample(range(record["eligible_count"]), 4) == [w["index"] for w in record["winners"]]


def tamper(record: dict[str, Any], change: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(record))
    change(data)
    return data


def test_tampering_with_a_published_record_is_caught() -> None:
    ledger = ledger_from({f"p{i}": {"s0": 1} for i in range(20)})
    done = prepared(ledger, count=3, rng=random.Random(11)).run(ClaimCodes(), at_ms=9)
    record = done.public_dict()
    other = "00" * 16

    def swap_winner(d: dict[str, Any]) -> None:
        d["winners"][0]["index"] = (d["winners"][0]["index"] + 1) % 20

    changes = [
        swap_winner,
        lambda d: d.update(seed_material=other),
        lambda d: d.update(public_input="1"),
        lambda d: d.update(eligible_count=21),
        lambda d: d.update(eligible_digest="0" * 64),
        lambda d: d["winners"].reverse(),
        lambda d: d["winners"].pop(),  # hide a winner...
        lambda d: (d["winners"].pop(), d["prize"].update(count=2)),  # ...and the prize
        lambda d: d.update(draw="d9"),
        lambda d: d.update(allow_repeat=True),
        lambda d: d["winners"][1].update(claim_code=d["winners"][0]["claim_code"]),
        lambda d: d.update(winners="x"),
    ]
    for change in changes:
        assert verify_public(tamper(record, change)), change
    assert verify_public(None) and verify_public({"v": 1})


def test_full_record_round_trips_and_refuses_tampering() -> None:
    ledger = ledger_from({f"p{i}": {"s0": 2} for i in range(12)})
    done = prepared(ledger, count=4, k=2).run(ClaimCodes(), at_ms=9, nickname=lambda p: f"昵称{p}")
    data = json.loads(json.dumps(done.to_dict()))
    assert Draw.from_dict(data) == done
    undrawn = prepared(ledger)
    assert Draw.from_dict(json.loads(json.dumps(undrawn.to_dict()))) == undrawn

    def other_phone(d: dict[str, Any]) -> None:
        d["winners"][0]["phone"] = next(p for p in d["eligible"] if p != d["winners"][0]["phone"])

    for change in (
        other_phone,
        lambda d: d["eligible"].append("zz-extra"),
        lambda d: d["eligible"].reverse(),
        lambda d: d.update(commitment="0" * 64),
        lambda d: d["winners"][0].update(claim_code="0OIL11"),
        lambda d: d.update(extra=1),
    ):
        with pytest.raises(ValueError):
            Draw.from_dict(tamper(done.to_dict(), change))


def test_a_draw_runs_once_and_refuses_bad_input() -> None:
    ledger = ledger_from({"a": {"s0": 1}})
    done = prepared(ledger).run(ClaimCodes(), at_ms=1)
    with pytest.raises(AudienceError) as err:
        done.run(ClaimCodes(), at_ms=2)
    assert err.value.code == "already_drawn"
    assert [w.phone for w in done.winners or ()] == ["a"]  # fewer phones than prizes
    assert done.codes_for("a") == [done.winners[0].claim_code]  # type: ignore[index]
    assert done.codes_for("b") == []
    with pytest.raises(AudienceError):
        prepared(ledger).run(ClaimCodes(), at_ms=2, public_input="\u202e")
    with pytest.raises(AudienceError):
        Prize.create("p", "奖品", 0)
    with pytest.raises(AudienceError):
        Prize.create("p", "", 1)
    with pytest.raises(AudienceError):
        Prize("p", " dirty ", 1)


def test_repeats_allowed_lets_one_phone_win_several_units() -> None:
    ledger = ledger_from({"a": {"s0": 1}, "b": {"s0": 1}})
    done = prepared(ledger, count=10, allow_repeat=True).run(ClaimCodes(), at_ms=1)
    winners = Counter(w.phone for w in done.winners or ())
    assert sum(winners.values()) == 10 and max(winners.values()) > 1
    assert len(done.codes_for("a")) == winners["a"]
    assert done.verify() == []


def test_claim_codes() -> None:
    codes = ClaimCodes(rng=random.Random(3))
    issued = [codes.new() for _ in range(5_000)]
    assert len(set(issued)) == 5_000 == len(codes)
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in issued)
    assert not set(CODE_ALPHABET) & set("01OIL")
    assert ClaimCodes.normalise(" abc-def ".replace("c", "7")) == "AB7DEF"
    assert ClaimCodes.normalise("AB0DEF") is None
    assert ClaimCodes.normalise("ABC") is None
    # The same generator restarted after 50 codes were restored: it skips those 50.
    again = ClaimCodes(issued[:50], rng=random.Random(3))
    assert again.new() == issued[50]

    class Same(random.Random):
        def choice(self, seq: Any) -> Any:
            return seq[0]

    stuck = ClaimCodes(rng=Same())
    stuck.new()
    with pytest.raises(AudienceError) as err:
        stuck.new()
    assert err.value.code == "codes_exhausted"


def test_positions_are_spread_evenly() -> None:
    """Deterministic (seeded) check that the picking is not biased to any position."""
    rng = random.Random(0)
    counts = Counter(pick(rng.getrandbits(256), 8, 1, False)[0] for _ in range(8_000))
    assert set(counts) == set(range(8))
    assert all(850 <= c <= 1_150 for c in counts.values())


def test_exports_carry_no_phone_ids_and_neutralise_formulas() -> None:
    ledger = Ledger()
    judged(ledger, "q1", "s0", {"device-token-1": "A", "device-token-2": "A"})
    done = prepared(ledger, count=2).run(
        ClaimCodes(),
        at_ms=9,
        nickname={"device-token-1": "=HYPERLINK(1)", "device-token-2": "@cmd"}.get,
    )
    pending = Draw.prepare("d2", Prize.create("p2", "+奖", 1), ledger, Eligibility(1), at_ms=10)
    text_json = export_json([done, pending])
    text_csv = export_csv([done, pending])
    for text in (text_json, text_csv):
        assert "device-token" not in text
        assert pending.seed_material not in text
    rows = list(csv.DictReader(io.StringIO(text_csv)))
    assert len(rows) == 3
    assert {r["nickname"] for r in rows[:2]} == {"'=HYPERLINK(1)", "'@cmd"}
    assert rows[2]["prize"] == "'+奖" and rows[2]["position"] == ""
    assert all(r["claim_code"] for r in rows[:2])
    public = export_csv([done], include_codes=False)
    assert not any(w.claim_code in public for w in done.winners or ())
    assert json.loads(text_json)[0]["winners"][0]["claim_code"]
