"""Small fixture banks for the bank tests: valid questions as data, written as YAML files.

The tests build their own banks so they never depend on the shipped content (except the one
test of the shipped bank); ``fixtures/FACTS.md`` is their fact sheet (F001-F005 verified,
F006 unverified, F007 withdrawn).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
FACTS = HERE / "fixtures" / "FACTS.md"
BROKEN = HERE / "broken"

_PREFIX = {
    "reporting": "RP",
    "anti-fraud": "AF",
    "rumours": "RU",
    "personal-information": "PI",
    "laws-and-safety": "LS",
}

# Distinct prompts, so that fixture banks do not trip the near-duplicate warning.
PROMPTS = [
    (
        "接到自称公安的电话，要求把钱转到安全账户，这是？",
        "Police ask you to move money to a safe account. This is?",
    ),
    (
        "陌生人索要短信验证码，可以告诉他吗？",
        "A stranger asks for your SMS code. May you tell them?",
    ),
    (
        "网上看到违法信息，可以拨打哪个电话举报？",
        "Which hotline takes reports of illegal online content?",
    ),
    (
        "遭遇电信诈骗后第一时间应该拨打哪个号码？",
        "Which number do you call first after being defrauded?",
    ),
    (
        "收到中奖短信要求先交手续费，应该怎么办？",
        "A prize text asks for a fee first. What should you do?",
    ),
    ("个人身份证照片可以随意发到群里吗？", "May you post a photo of your ID card in a group chat?"),
    ("刷单返利的兼职广告可信吗？", "Can a paid click-farming job advert be trusted?"),
    ("谣言转发之前应该先做什么？", "What should you do before forwarding a rumour?"),
]


def question(
    number: int = 1, category: str = "anti-fraud", kind: str = "single", **changes: Any
) -> dict[str, Any]:
    """A valid question of ``kind`` as YAML data; ``changes`` replace or add keys."""
    zh, en = PROMPTS[(number - 1) % len(PROMPTS)]
    if number > len(PROMPTS):
        zh, en = f"{zh}（第{number}题，编号{number * 7919}）", f"{en} (question {number})"
    data: dict[str, Any] = {
        "id": f"{_PREFIX[category]}-{number:03d}",
        "category": category,
        "type": kind,
        "difficulty": 1 + number % 3,
        "prompt": {"zh": zh, "en": en},
        "explanation": {"zh": "这是解析。", "en": "This is the explanation."},
        "fact": "F001",
    }
    if kind == "single":
        data["options"] = [
            {"zh": "正常办案流程", "en": "A normal procedure"},
            {"zh": "电信网络诈骗", "en": "Telecom fraud"},
            {"zh": "系统升级", "en": "A system upgrade"},
        ]
        data["answer"] = "B"
    elif kind == "multiple":
        data["options"] = [
            {"zh": "挂断电话", "en": "Hang up"},
            {"zh": "拨打110核实", "en": "Call 110 to check"},
            {"zh": "按对方要求转账", "en": "Transfer as told"},
        ]
        data["answer"] = ["A", "B"]
    elif kind == "truefalse":
        data["options"] = [{"zh": "正确", "en": "True"}, {"zh": "错误", "en": "False"}]
        data["answer"] = "B"
    else:
        data["answer"] = [{"zh": "12377", "en": "12377"}]
    data.update(copy.deepcopy(changes))
    return data


def write_bank(folder: Path, questions: list[dict[str, Any]]) -> Path:
    """Write questions into ``folder/<category>.yaml`` files (plus the fixture FACTS.md)."""
    folder.mkdir(parents=True, exist_ok=True)
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in questions:
        by_category.setdefault(item["category"], []).append(item)
    for category, items in by_category.items():
        text = yaml.safe_dump(items, allow_unicode=True, sort_keys=False)
        (folder / f"{category}.yaml").write_text(text, encoding="utf-8")
    (folder / "FACTS.md").write_text(FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    return folder
