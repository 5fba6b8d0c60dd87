"""Build step only (metadata lives in setup.cfg): put the top-level ``templates/``, ``static/``
and ``question_bank/`` into the wheel as ``quiz/_templates``, ``quiz/_static`` and
``quiz/_question_bank``.

The repository keeps one copy of each at its top level; a wheel carries them inside the package,
where :mod:`quiz.resources` looks first. An editable install (``pip install -e .``) copies
nothing: the package then finds them beside itself in the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: Same table as quiz.resources.PACKAGED_AS (which a build cannot import).
PACKAGED_AS = {"templates": "_templates", "static": "_static", "question_bank": "_question_bank"}
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target in PACKAGED_AS.items():
            destination = Path(self.build_lib) / "quiz" / target
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(ROOT / source, destination, ignore=_SKIP)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            for target in PACKAGED_AS.values():
                folder = Path(self.build_lib) / "quiz" / target
                outputs.extend(str(p) for p in folder.rglob("*") if p.is_file())
        return outputs


setup(cmdclass={"build_py": BuildPyWithData})
