"""Prize draws (抽奖): eligibility, winners, claim codes, and a record that proves fairness.

A draw goes in two steps, so that what decides the winners is fixed and published before
anyone can know them:

1. ``Draw.prepare`` freezes the eligible phones (sorted ids; ``eligible_digest`` is the
   SHA-256 of the ids joined by newlines), draws 128 bits of *seed material* from
   ``secrets.SystemRandom`` and publishes ``commitment = SHA-256(seed material)``. The LED
   shows the prize, the eligible count, the digest and the commitment.
2. Optionally someone outside the system adds a *public input* after the commitment is on
   the wall (a number called by a notary or a volunteer from the audience), so not even the
   operator can know the outcome in advance. ``Draw.run`` then derives

       seed = int(SHA-256(seed material + terms), big-endian)

   where ``terms`` (``draw_terms``) is the UTF-8 text binding everything the outcome depends
   on, one ``key=value`` per line after ``quiz-draw-v1``: draw, prize_count, allow_repeat
   (0/1), eligible_count, eligible_digest, public_input. It picks positions in the sorted
   list with ``random.Random(seed)``: ``sample(range(n), k)`` (distinct, so a phone wins at
   most once per draw) or, when repeats are allowed, ``k`` times ``randrange(n)``. The record
   then reveals the seed material.

Anyone can re-check a published record: SHA-256 of the seed material equals the commitment
shown before the draw, and recomputing the positions gives the recorded ones
(``verify_public``). The organiser, who keeps the eligible list, also checks the digest and
that each winner is the phone at its position (``Draw.verify``). Every prepared draw is kept,
drawn or not, so throwing a commitment away to try for another one shows in the record.

Claim codes come from ``secrets``, never from the seed: the seed is published, a code is the
bearer's only proof of winning. Exports carry no phone ids (no personal data is held at all);
``include_codes=False`` gives a record safe to publish.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from quiz.audience.errors import AudienceError, check_phone
from quiz.audience.jsonshape import Shape, checked_int, version
from quiz.audience.ledger import Eligibility, Ledger, eligible
from quiz.audience.text import InvalidName, clean_name
from quiz.celltext import cell_text  # nicknames and prize names are typed by people

FORMAT_VERSION = 1
SEED_BITS = 128
SEED_DOMAIN = "quiz-draw-v1"
#: No 0/O, 1/I/L: a code is read aloud and typed by prize-desk staff.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
PRIZE_NAME_MAX = 40
PUBLIC_INPUT_MAX = 64
MAX_WINNERS = 1_000
_CODE_TRIES = 100


class ClaimCodes:
    """The claim codes issued in one event; every new one is unique among them."""

    def __init__(self, issued: Iterable[str] = (), rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else secrets.SystemRandom()
        self._issued = set(issued)

    def __contains__(self, code: object) -> bool:
        return code in self._issued

    def __len__(self) -> int:
        return len(self._issued)

    def new(self) -> str:
        for _ in range(_CODE_TRIES):
            code = "".join(self._rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self._issued:
                self._issued.add(code)
                return code
        raise AudienceError("codes_exhausted", "could not find an unused claim code")

    @staticmethod
    def normalise(raw: str) -> str | None:
        """A code as typed at the prize desk (any case, spaces or dashes), or None if it
        cannot be one."""
        code = "".join(ch for ch in raw.upper() if ch not in " -")
        if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
            return None
        return code


@dataclass(frozen=True, slots=True)
class Prize:
    id: str
    name: str
    count: int  # winners to draw

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not 0 < len(self.id) <= 64:
            raise AudienceError("bad_prize", "a prize id is 1 to 64 characters")
        if clean_name(self.name, PRIZE_NAME_MAX) != self.name:
            raise AudienceError("bad_prize", "a prize name must be cleaned (see Prize.create)")
        if type(self.count) is not int or not 1 <= self.count <= MAX_WINNERS:
            raise AudienceError("bad_prize", f"a prize has 1 to {MAX_WINNERS} winners")

    @classmethod
    def create(cls, prize_id: str, name: object, count: int) -> Prize:
        """A prize from host input; the name is cleaned (``InvalidName`` if unusable)."""
        return cls(prize_id, clean_name(name, PRIZE_NAME_MAX), count)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "count": self.count}


@dataclass(frozen=True, slots=True)
class Winner:
    position: int  # 1-based, in drawing order
    index: int  # position in the sorted eligible list
    phone: str
    claim_code: str
    nickname: str


def eligible_digest(phones: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(phones).encode("utf-8")).hexdigest()


def commitment_of(seed_material: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed_material)).hexdigest()


def draw_terms(
    draw_id: str,
    prize_count: int,
    allow_repeat: bool,
    eligible_count: int,
    digest: str,
    public_input: str,
) -> str:
    """Everything a draw's outcome depends on besides the seed material. Hashing it into the
    seed means changing any of it in a record (say, one prize fewer, to hide a winner)
    changes the winners the seed picks, so verification catches it."""
    lines = (
        SEED_DOMAIN,
        f"draw={draw_id}",
        f"prize_count={prize_count}",
        f"allow_repeat={int(allow_repeat)}",
        f"eligible_count={eligible_count}",
        f"eligible_digest={digest}",
        f"public_input={public_input}",
    )
    return "\n".join(lines)


def draw_seed(seed_material: str, terms: str) -> int:
    data = bytes.fromhex(seed_material) + terms.encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def pick(seed: int, eligible_count: int, count: int, allow_repeat: bool) -> list[int]:
    """Winning positions; distinct unless ``allow_repeat``. At most ``eligible_count`` of
    them without repeats (fewer phones than prizes: everyone wins once)."""
    rng = random.Random(seed)
    if allow_repeat:
        return [rng.randrange(eligible_count) for _ in range(count)]
    return rng.sample(range(eligible_count), min(count, eligible_count))


@dataclass(frozen=True, slots=True)
class Draw:
    """One prize draw, from commitment to winners. ``winners`` is None until ``run``."""

    id: str
    prize: Prize
    rule: Eligibility
    allow_repeat: bool
    eligible: tuple[str, ...]
    eligible_digest: str
    seed_material: str  # hex; secret until drawn (``public_dict`` hides it)
    commitment: str
    committed_at_ms: int
    public_input: str = ""
    drawn_at_ms: int | None = None
    winners: tuple[Winner, ...] | None = None

    @property
    def drawn(self) -> bool:
        return self.winners is not None

    @classmethod
    def prepare(
        cls,
        draw_id: str,
        prize: Prize,
        ledger: Ledger,
        rule: Eligibility,
        *,
        at_ms: int,
        exclude: Iterable[str] = (),
        allow_repeat: bool = False,
        rng: random.Random | None = None,
    ) -> Draw:
        """Freeze who is eligible (``rule`` over ``ledger``, minus ``exclude``) and commit."""
        if not isinstance(draw_id, str) or not 0 < len(draw_id) <= 64:
            raise AudienceError("bad_draw", "a draw id is 1 to 64 characters")
        if type(at_ms) is not int:
            raise AudienceError("bad_time", "at_ms must be an integer")
        phones = tuple(eligible(ledger, rule, exclude))
        if not phones:
            raise AudienceError("no_eligible", "no phone is eligible for this draw")
        source = rng if rng is not None else secrets.SystemRandom()
        seed_material = source.getrandbits(SEED_BITS).to_bytes(SEED_BITS // 8, "big").hex()
        return cls(
            id=draw_id,
            prize=prize,
            rule=rule,
            allow_repeat=bool(allow_repeat),
            eligible=phones,
            eligible_digest=eligible_digest(phones),
            seed_material=seed_material,
            commitment=commitment_of(seed_material),
            committed_at_ms=at_ms,
        )

    def run(
        self,
        codes: ClaimCodes,
        *,
        at_ms: int,
        public_input: str = "",
        nickname: Callable[[str], str] | None = None,
    ) -> Draw:
        """The drawn record: winners with fresh claim codes and the nickname shown for each."""
        if self.drawn:
            raise AudienceError("already_drawn", f"draw {self.id} has already been drawn")
        if type(at_ms) is not int:
            raise AudienceError("bad_time", "at_ms must be an integer")
        if public_input:
            try:
                public_input = clean_name(public_input, PUBLIC_INPUT_MAX)
            except InvalidName as exc:
                raise AudienceError("bad_public_input", exc.message) from None
        terms = draw_terms(
            self.id,
            self.prize.count,
            self.allow_repeat,
            len(self.eligible),
            self.eligible_digest,
            public_input,
        )
        seed = draw_seed(self.seed_material, terms)
        positions = pick(seed, len(self.eligible), self.prize.count, self.allow_repeat)
        winners = tuple(
            Winner(
                position=n,
                index=i,
                phone=self.eligible[i],
                claim_code=codes.new(),
                nickname=nickname(self.eligible[i]) if nickname else "",
            )
            for n, i in enumerate(positions, start=1)
        )
        return replace(self, public_input=public_input, drawn_at_ms=at_ms, winners=winners)

    def codes_for(self, phone: str) -> list[str]:
        """The claim codes a phone has won in this draw (what its screen shows)."""
        return [w.claim_code for w in self.winners or () if w.phone == phone]

    # --- checking ---------------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Everything the organiser can check; an empty list means the record is sound."""
        problems = verify_public(self.public_dict())
        if not self.drawn and commitment_of(self.seed_material) != self.commitment:
            problems.append("the seed material does not match the commitment")
        if eligible_digest(self.eligible) != self.eligible_digest:
            problems.append("the eligible list does not match its digest")
        if list(self.eligible) != sorted(set(self.eligible)):
            problems.append("the eligible list is not sorted and distinct")
        for w in self.winners or ():
            if not 0 <= w.index < len(self.eligible) or self.eligible[w.index] != w.phone:
                problems.append(f"winner {w.position} is not the phone at position {w.index}")
        return problems

    # --- records ----------------------------------------------------------------------------

    def public_dict(self, include_codes: bool = True) -> dict[str, Any]:
        """The record without phone ids or the eligible list; the seed material only once
        drawn. With ``include_codes=False`` it can be published."""
        winners = None
        if self.winners is not None:
            winners = [
                {
                    "position": w.position,
                    "index": w.index,
                    "nickname": w.nickname,
                    **({"claim_code": w.claim_code} if include_codes else {}),
                }
                for w in self.winners
            ]
        return {
            "v": FORMAT_VERSION,
            "draw": self.id,
            "prize": self.prize.to_dict(),
            "eligibility": self.rule.to_dict(),
            "allow_repeat": self.allow_repeat,
            "eligible_count": len(self.eligible),
            "eligible_digest": self.eligible_digest,
            "commitment": self.commitment,
            "committed_at_ms": self.committed_at_ms,
            "public_input": self.public_input,
            "seed_material": self.seed_material if self.drawn else None,
            "drawn_at_ms": self.drawn_at_ms,
            "winners": winners,
        }

    def to_dict(self) -> dict[str, Any]:
        """The full record for persistence (phone ids and secret seed material included)."""
        data = self.public_dict()
        data["seed_material"] = self.seed_material
        data["eligible"] = list(self.eligible)
        if self.winners is not None:
            data["winners"] = [
                {
                    "position": w.position,
                    "index": w.index,
                    "phone": w.phone,
                    "claim_code": w.claim_code,
                    "nickname": w.nickname,
                }
                for w in self.winners
            ]
        return data

    @classmethod
    def from_dict(cls, data: object) -> Draw:
        """Restore a full record; a record that fails ``verify`` is refused."""
        version(data, "draw", FORMAT_VERSION)
        shape = Shape(data, "draw", (*_PUBLIC_KEYS, "eligible"))
        p = Shape(shape.raw("prize"), shape.at("prize"), ("id", "name", "count"))
        prize = Prize(
            p.text("id", 64), p.text("name", PRIZE_NAME_MAX), p.integer("count", 1, MAX_WINNERS)
        )
        phones = tuple(check_phone(item, where) for where, item in shape.items("eligible", 10**6))
        winners = None
        if shape.raw("winners") is not None:
            keys = ("position", "index", "phone", "claim_code", "nickname")
            winners = []
            for where, item in shape.items("winners", MAX_WINNERS):
                w = Shape(item, where, keys)
                winners.append(
                    Winner(
                        w.integer("position", 1, MAX_WINNERS),
                        w.integer("index", 0, max(0, len(phones) - 1)),
                        check_phone(w.raw("phone"), w.at("phone")),
                        _code(w.raw("claim_code"), w.at("claim_code")),
                        w.text("nickname", 64, empty=True),
                    )
                )
        draw = cls(
            id=shape.text("draw", 64),
            prize=prize,
            rule=Eligibility.from_dict(shape.raw("eligibility"), shape.at("eligibility")),
            allow_repeat=shape.flag("allow_repeat"),
            eligible=phones,
            eligible_digest=shape.text("eligible_digest", 64),
            seed_material=_hex(shape.raw("seed_material"), shape.at("seed_material"), SEED_BITS),
            commitment=shape.text("commitment", 64),
            committed_at_ms=shape.integer("committed_at_ms", 0, 2**63),
            public_input=shape.text("public_input", PUBLIC_INPUT_MAX, empty=True),
            drawn_at_ms=shape.opt_integer("drawn_at_ms", 0, 2**63),
            winners=None if winners is None else tuple(winners),
        )
        problems = draw.verify()
        if shape.raw("eligible_count") != len(phones):
            problems.append("eligible_count is not the length of the eligible list")
        if problems:
            raise ValueError(f"draw {draw.id}: " + "; ".join(problems))
        return draw


_PUBLIC_KEYS = (
    "v",
    "draw",
    "prize",
    "eligibility",
    "allow_repeat",
    "eligible_count",
    "eligible_digest",
    "commitment",
    "committed_at_ms",
    "public_input",
    "seed_material",
    "drawn_at_ms",
    "winners",
)


def verify_public(record: object) -> list[str]:
    """Check a published record (``public_dict``, with or without codes); an empty list
    means the winners follow from the committed seed. Never raises on bad input."""
    try:
        shape = Shape(record, "record", _PUBLIC_KEYS, ("eligible",))
        count = checked_int(shape.raw("eligible_count"), "eligible_count", 1, 10**6)
        prize = Shape(shape.raw("prize"), "prize", ("id", "name", "count"))
        wanted = prize.integer("count", 1, MAX_WINNERS)
        digest, commitment = shape.text("eligible_digest", 64), shape.text("commitment", 64)
        draw_id = shape.text("draw", 64)
        allow_repeat = shape.flag("allow_repeat")
        public_input = shape.text("public_input", PUBLIC_INPUT_MAX, empty=True)
        material = shape.raw("seed_material")
        if shape.raw("winners") is None:
            return [] if material is None else ["seed material revealed before the draw"]
        seed_material = _hex(material, "seed_material", SEED_BITS)
        recorded = []
        for where, item in shape.items("winners", MAX_WINNERS):
            w = Shape(item, where, ("position", "index", "nickname"), ("claim_code", "phone"))
            recorded.append(
                (w.integer("position", 1, MAX_WINNERS), w.integer("index", 0, count - 1))
            )
    except ValueError as exc:
        return [f"malformed record: {exc}"]
    problems = []
    if commitment_of(seed_material) != commitment:
        problems.append("the seed material does not match the commitment")
    terms = draw_terms(draw_id, wanted, allow_repeat, count, digest, public_input)
    expected = pick(draw_seed(seed_material, terms), count, wanted, allow_repeat)
    if [i for _, i in recorded] != expected or [n for n, _ in recorded] != list(
        range(1, len(recorded) + 1)
    ):
        problems.append("the winners are not the ones the seed picks")
    if not allow_repeat and len({i for _, i in recorded}) != len(recorded):
        problems.append("a phone won twice in a draw without repeats")
    codes = [item.get("claim_code") for item in shape.array("winners") if "claim_code" in item]
    if len(set(codes)) != len(codes):
        problems.append("a claim code is repeated")
    return problems


def export_json(draws: Iterable[Draw], include_codes: bool = True) -> str:
    """Every draw's record, as pretty UTF-8 JSON without phone ids."""
    records = [d.public_dict(include_codes) for d in draws]
    return json.dumps(records, ensure_ascii=False, indent=2)


CSV_COLUMNS = (
    "draw",
    "prize_id",
    "prize",
    "position",
    "nickname",
    "claim_code",
    "eligible_index",
    "eligible_count",
    "eligible_digest",
    "commitment",
    "public_input",
    "seed_material",
    "committed_at_ms",
    "drawn_at_ms",
)


def export_csv(draws: Iterable[Draw], include_codes: bool = True) -> str:
    """One row per winner (one row with empty winner columns for an undrawn draw). Write it
    with the ``utf-8-sig`` encoding so spreadsheet programs read the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for draw in draws:
        rec = draw.public_dict(include_codes)
        common = {
            "draw": draw.id,
            "prize_id": draw.prize.id,
            "prize": draw.prize.name,
            "eligible_count": rec["eligible_count"],
            "eligible_digest": rec["eligible_digest"],
            "commitment": rec["commitment"],
            "public_input": rec["public_input"],
            "seed_material": rec["seed_material"] or "",
            "committed_at_ms": rec["committed_at_ms"],
            "drawn_at_ms": "" if rec["drawn_at_ms"] is None else rec["drawn_at_ms"],
        }
        for w in rec["winners"] or [{}]:
            row = {
                **common,
                "position": w.get("position", ""),
                "nickname": w.get("nickname", ""),
                "claim_code": w.get("claim_code", ""),
                "eligible_index": w.get("index", ""),
            }
            writer.writerow([cell_text(str(row[c])) for c in CSV_COLUMNS])
    return out.getvalue()


def _hex(value: object, where: str, bits: int) -> str:
    if not isinstance(value, str) or len(value) != bits // 4:
        raise ValueError(f"{where} must be {bits // 4} hex digits")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{where} must be {bits // 4} hex digits") from None
    return value


def _code(value: object, where: str) -> str:
    if not isinstance(value, str) or ClaimCodes.normalise(value) != value:
        raise ValueError(f"{where} is not a claim code")
    return value
