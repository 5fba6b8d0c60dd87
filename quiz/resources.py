"""Where the server's read-only files are: page templates, static files and the bundled bank.

The repository keeps ``templates/``, ``static/`` and ``question_bank/`` at its top level (one
source of truth); building a wheel copies them into the package as ``quiz/_templates``,
``quiz/_static`` and ``quiz/_question_bank`` (see ``setup.py``). So an installed wheel finds them
beside this module, and a checkout (``pip install -e .``, ``make serve``, the tests) finds them
one folder up. Nothing here depends on the current folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

#: Top-level folder in a checkout -> folder inside the installed package.
PACKAGED_AS: dict[str, str] = {
    "templates": "_templates",
    "static": "_static",
    "question_bank": "_question_bank",
}


class ResourceMissing(RuntimeError):
    """The package was installed without its data files (a broken build)."""


def resource_dir(name: str) -> Path:
    """The folder of ``templates``, ``static`` or ``question_bank``, wheel or checkout."""
    packaged = PACKAGE_DIR / PACKAGED_AS[name]
    if packaged.is_dir():
        return packaged
    checkout = PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    raise ResourceMissing(
        f"quiz 安装不完整，缺少 {name} / the quiz installation has no {name} folder "
        f"(looked in {packaged} and {checkout}): reinstall the wheel"
    )


def templates_dir() -> Path:
    return resource_dir("templates")


def static_dir() -> Path:
    return resource_dir("static")


def bank_dir() -> Path:
    return resource_dir("question_bank")
