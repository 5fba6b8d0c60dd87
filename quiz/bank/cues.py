"""Cues that give an answer away without knowing it, measured over a bank (``quiz bank cues``).

Each measure is a pure function of the questions, so tests re-measure the shipped bank with
the same code an editor runs:

- **key letters** of multiple- and single-choice questions against what a uniform key would
  give (per letter: observed / expected - 1), as written and after the draw's shuffle
  (:mod:`quiz.bank.shuffle`) over many simulated events; and the key patterns of multiple
  choice (``ACD``), and which letter is the wrong one when only one is;
- **the longest option**: how often the key of a single-choice question is the uniquely
  longest option (by display width in Chinese, by characters in English); chance is about
  one in the number of options;
- **absolute words** (:data:`ABSOLUTE_WORDS`) in false versus true statements of true/false
  questions, and their ratio;
- **difficulty** counts;
- **near-duplicate prompts**: pairs whose Chinese prompts share most character bigrams
  (:func:`similarity`, Jaccard index of the bigram sets, at least :data:`REVIEW_SIMILARITY`;
  ``quiz bank check`` warns from :data:`NEAR_DUPLICATE`);
  pairs in the same ``group`` are left out (the draw keeps them apart by design).

Whether a question can be answered by common sense alone is a judgement, not a measure: it is
not computed here.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Final

from quiz.bank.schema import LETTERS, AnyQuestion, normalise
from quiz.bank.shuffle import option_order, shown_answer

#: Words that make a statement sweeping. False true/false statements are easy to write with
#: them ("只能…", "一定…"), which lets a player spot them without knowing the fact.
ABSOLUTE_WORDS: Final = (
    "只能",
    "只要",
    "只有",
    "一定",
    "肯定",
    "绝对",
    "随意",
    "随便",
    "放心",
    "不用",
    "无需",
    "不必",
    "所有",
    "任何",
    "全部",
    "一律",
    "从不",
    "从来",
    "永远",
    "总是",
    "必须",
    "完全",
    "都",
)
#: Bigram Jaccard index from which ``quiz bank check`` reports two prompts as near-duplicates:
#: in the bank as first reviewed, pairs from 0.4 up asked the same thing in other words.
NEAR_DUPLICATE: Final = 0.4
#: The looser default of ``quiz bank cues``: candidates for a person to judge (from 0.3 up the
#: bank held real near-repeats, e.g. two "which number do you call when defrauded" prompts,
#: next to prompts that only share a name such as a platform's).
REVIEW_SIMILARITY: Final = 0.3
#: Simulated events for the key letters after shuffling.
DRAWS: Final = 1000


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide (Chinese) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- key letters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterBalance:
    """How often each letter is (part of) the key, against a uniform key."""

    observed: dict[str, float]
    expected: dict[str, float]

    def deviation(self, letter: str) -> float:
        """observed / expected - 1 (0.0 is uniform)."""
        expected = self.expected.get(letter, 0.0)
        return self.observed.get(letter, 0.0) / expected - 1 if expected else 0.0

    @property
    def letters(self) -> list[str]:
        return [letter for letter in LETTERS if self.expected.get(letter)]

    @property
    def worst(self) -> float:
        """The largest deviation of any letter, in either direction."""
        return max((abs(self.deviation(letter)) for letter in self.letters), default=0.0)


def letter_balance(keys: Iterable[tuple[Sequence[str], int]]) -> LetterBalance:
    """The balance of keys given as (key letters, option count).

    A uniform key puts each of the n letters of a question with k key letters in the key with
    probability k / n: that is what each letter is expected to collect."""
    observed: Counter[str] = Counter()
    expected: dict[str, float] = {}
    for letters, count in keys:
        observed.update(letters)
        for letter in LETTERS[:count]:
            expected[letter] = expected.get(letter, 0.0) + len(letters) / count
    return LetterBalance({k: float(v) for k, v in observed.items()}, expected)


def _choice(questions: Iterable[AnyQuestion], kind: str) -> list[AnyQuestion]:
    return [question for question in questions if question.type == kind]


def written_keys(questions: Iterable[AnyQuestion]) -> list[tuple[Sequence[str], int]]:
    return [(question.answer_letters, question.option_count) for question in questions]


def shuffled_keys(
    questions: Sequence[AnyQuestion], draws: int = DRAWS
) -> list[tuple[Sequence[str], int]]:
    """The keys as shown in ``draws`` simulated events (seeds ``event-0``, ``event-1``, ...),
    each showing every question once; pinned questions keep their written order."""
    keys: list[tuple[Sequence[str], int]] = []
    for event in range(draws):
        seed = f"event-{event}"
        for question in questions:
            count = question.option_count
            if question.shuffled:
                order = option_order(seed, question.id, count)
                keys.append((shown_answer(question.answer_letters, order), count))
            else:
                keys.append((question.answer_letters, count))
    return keys


def key_patterns(questions: Iterable[AnyQuestion]) -> Counter[str]:
    """Multiple-choice keys as written ("ACD")."""
    return Counter("".join(question.answer_letters) for question in questions)


def lone_wrong_letters(questions: Iterable[AnyQuestion]) -> Counter[str]:
    """Where exactly one option is wrong, which letter it is."""
    found: Counter[str] = Counter()
    for question in questions:
        wrong = [
            letter
            for letter in LETTERS[: question.option_count]
            if letter not in question.answer_letters
        ]
        if len(wrong) == 1:
            found[wrong[0]] += 1
    return found


# --- the longest option ------------------------------------------------------------------------


def key_is_uniquely_longest(question: AnyQuestion, lang: str) -> bool:
    """Whether the key of a single-choice question is longer than every other option."""
    if lang == "zh":
        widths = [display_width(option.zh) for option in question.choices]
    else:
        widths = [len(option.en or option.zh) for option in question.choices]
    key = LETTERS.index(question.answer_letters[0])
    return all(widths[key] > width for index, width in enumerate(widths) if index != key)


# --- absolute words ----------------------------------------------------------------------------


def absolute_words(text: str) -> list[str]:
    """The :data:`ABSOLUTE_WORDS` in ``text``."""
    return [word for word in ABSOLUTE_WORDS if word in text]


@dataclass(frozen=True)
class AbsoluteWords:
    """True/false statements (zh prompts) with and without absolute words."""

    false_with: int
    false_total: int
    true_with: int
    true_total: int
    words: Counter[str]

    @property
    def ratio(self) -> float:
        """How much likelier a false statement is to hold an absolute word than a true one,
        or the reverse (always >= 1). Both rates are add-one smoothed ((with + 1) /
        (total + 2)), so one statement alone cannot make the ratio infinite."""
        false_rate = (self.false_with + 1) / (self.false_total + 2)
        true_rate = (self.true_with + 1) / (self.true_total + 2)
        return max(false_rate, true_rate) / min(false_rate, true_rate)


def absolute_word_counts(questions: Iterable[AnyQuestion]) -> AbsoluteWords:
    counts = {True: [0, 0], False: [0, 0]}
    words: Counter[str] = Counter()
    for question in questions:
        found = absolute_words(question.prompt.zh)
        tally = counts[question.answer_letters == ("A",)]
        tally[0] += bool(found)
        tally[1] += 1
        words.update(found)
    return AbsoluteWords(
        false_with=counts[False][0],
        false_total=counts[False][1],
        true_with=counts[True][0],
        true_total=counts[True][1],
        words=words,
    )


# --- near-duplicate prompts --------------------------------------------------------------------


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of ``text`` after :func:`~quiz.bank.schema.normalise` (a single
    character counts as its own bigram)."""
    folded = normalise(text)
    if len(folded) < 2:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[index : index + 2] for index in range(len(folded) - 1))


def jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def similarity(first: str, second: str) -> float:
    """Bigram Jaccard index of two texts: 1.0 for the same text, 0.0 for nothing shared."""
    return jaccard(bigrams(first), bigrams(second))


@dataclass(frozen=True)
class NearDuplicate:
    first: AnyQuestion
    second: AnyQuestion
    similarity: float

    @property
    def kept_apart(self) -> bool:
        """Whether the draw keeps the two out of one event (same fact or same group)."""
        return self.first.fact == self.second.fact or (
            self.first.group is not None and self.first.group == self.second.group
        )


def near_duplicates(
    questions: Sequence[AnyQuestion], threshold: float = NEAR_DUPLICATE
) -> list[NearDuplicate]:
    """Pairs (in bank order) whose Chinese prompts are at least ``threshold`` similar."""
    grams = [bigrams(question.prompt.zh) for question in questions]
    found: list[NearDuplicate] = []
    for (i, first), (j, second) in combinations(enumerate(questions), 2):
        score = jaccard(grams[i], grams[j])
        if score >= threshold:
            found.append(NearDuplicate(first, second, score))
    return found


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CueReport:
    questions: int
    multiple_written: LetterBalance
    multiple_shuffled: LetterBalance
    single_written: LetterBalance
    single_shuffled: LetterBalance
    patterns: Counter[str]
    lone_wrong: Counter[str]
    single_total: int
    longest_zh: int
    longest_en: int
    #: Chance of the key being the uniquely longest if lengths said nothing: sum of 1 / n.
    longest_chance: float
    truefalse_keys: Counter[str]
    absolute: AbsoluteWords
    difficulty: Counter[int]
    duplicates: list[NearDuplicate]
    draws: int
    threshold: float


def measure(
    questions: Sequence[AnyQuestion],
    *,
    draws: int = DRAWS,
    threshold: float = REVIEW_SIMILARITY,
) -> CueReport:
    multiple = _choice(questions, "multiple")
    single = _choice(questions, "single")
    truefalse = _choice(questions, "truefalse")
    duplicates = [
        pair
        for pair in near_duplicates(questions, threshold)
        if pair.first.group is None or pair.first.group != pair.second.group
    ]
    return CueReport(
        questions=len(questions),
        multiple_written=letter_balance(written_keys(multiple)),
        multiple_shuffled=letter_balance(shuffled_keys(multiple, draws)),
        single_written=letter_balance(written_keys(single)),
        single_shuffled=letter_balance(shuffled_keys(single, draws)),
        patterns=key_patterns(multiple),
        lone_wrong=lone_wrong_letters(multiple),
        single_total=len(single),
        longest_zh=sum(key_is_uniquely_longest(question, "zh") for question in single),
        longest_en=sum(key_is_uniquely_longest(question, "en") for question in single),
        longest_chance=sum(1 / question.option_count for question in single),
        truefalse_keys=Counter(question.answer_letters[0] for question in truefalse),
        absolute=absolute_word_counts(truefalse),
        difficulty=Counter(question.difficulty for question in questions),
        duplicates=duplicates,
        draws=draws,
        threshold=threshold,
    )


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def _balance_lines(label: str, balance: LetterBalance) -> list[str]:
    cells = [
        f"{letter} {balance.observed.get(letter, 0):g}/{balance.expected[letter]:.1f} "
        f"({balance.deviation(letter):+.0%})"
        for letter in balance.letters
    ]
    return [f"  {label}: " + ", ".join(cells), f"    worst deviation {balance.worst:.1%}"]


def _scaled(balance: LetterBalance, draws: int) -> LetterBalance:
    # Per event, so the shuffled figures read on the same scale as the written ones.
    return LetterBalance(
        {k: v / draws for k, v in balance.observed.items()},
        {k: v / draws for k, v in balance.expected.items()},
    )


def report_lines(report: CueReport) -> list[str]:
    """The report as text lines (what ``quiz bank cues`` prints)."""
    draws = report.draws
    lines = [f"{report.questions} questions", "", "key letters (observed/uniform, deviation):"]
    lines += _balance_lines("multiple, as written", report.multiple_written)
    lines += _balance_lines(
        f"multiple, shuffled (per event, {draws} events)",
        _scaled(report.multiple_shuffled, draws),
    )
    lines += _balance_lines("single, as written", report.single_written)
    lines += _balance_lines(
        f"single, shuffled (per event, {draws} events)", _scaled(report.single_shuffled, draws)
    )
    patterns = ", ".join(f"{key} {count}" for key, count in report.patterns.most_common())
    lone = ", ".join(f"{key} {count}" for key, count in sorted(report.lone_wrong.items()))
    tf = report.truefalse_keys
    lines += [
        f"  multiple key patterns: {patterns or '-'}",
        f"  multiple with one wrong option, the wrong letter: {lone or '-'}",
        f"  truefalse keys: A (true) {tf['A']}, B (false) {tf['B']}",
        "",
        "single choice, key is the uniquely longest option:",
        f"  zh (display width): {report.longest_zh} of {report.single_total} "
        f"({_percent(report.longest_zh, report.single_total)}); "
        f"chance {_percent(report.longest_chance, report.single_total)}",
        f"  en (characters): {report.longest_en} of {report.single_total} "
        f"({_percent(report.longest_en, report.single_total)})",
        "",
    ]
    absolute = report.absolute
    words = ", ".join(f"{word} {count}" for word, count in absolute.words.most_common())
    lines += [
        "truefalse statements with absolute words (" + "/".join(ABSOLUTE_WORDS) + "):",
        f"  false: {absolute.false_with} of {absolute.false_total} "
        f"({_percent(absolute.false_with, absolute.false_total)})",
        f"  true: {absolute.true_with} of {absolute.true_total} "
        f"({_percent(absolute.true_with, absolute.true_total)})",
        f"  ratio (add-one smoothed): {absolute.ratio:.2f}",
        f"  words: {words or '-'}",
        "",
        "difficulty: "
        + ", ".join(f"{level}: {report.difficulty[level]}" for level in sorted(report.difficulty)),
        "",
        f"near-duplicate prompts (bigram Jaccard >= {report.threshold}; same group left out): "
        f"{len(report.duplicates)}",
    ]
    for pair in report.duplicates:
        note = " (same fact: never drawn together)" if pair.kept_apart else ""
        lines.append(f"  {pair.first.id} ~ {pair.second.id}  {pair.similarity:.2f}{note}")
    return lines
