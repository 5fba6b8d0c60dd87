"""The offline bundle: one folder (and its zip) to install and start quiz on a laptop with no
internet, Linux x86-64 or Windows x86-64, Python 3.11 to 3.13.

``make bundle`` (``python -m quiz.server.bundle``) builds the quiz wheel, downloads every wheel
the server needs for each target with ``pip download --only-binary=:all: --platform ...``, and
then checks the folder is complete by walking the requirements from the quiz wheel's metadata
with each target's environment markers (``pip download`` evaluates markers for the machine it
runs on, so a Windows-only dependency such as ``colorama`` is fetched by the check itself).
It writes ``README.txt`` (zh/en), ``start.sh`` and ``start.bat``, which create a venv, install
with ``--no-index --find-links wheels`` and run ``quiz serve``.

A build tool, run from the test venv (it needs ``packaging`` and a network), never by the server.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = ("3.11", "3.12", "3.13")
# Oldest glibc accepted: 2.28 (Debian 10, Ubuntu 20.04, RHEL 8 and later).
_LINUX_PLATFORMS = [
    *(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
]


@dataclass(frozen=True)
class Target:
    name: str
    platforms: tuple[str, ...]
    markers: dict[str, str]

    def environment(self, python: str) -> dict[str, str]:
        return {
            **self.markers,
            "python_version": python,
            "python_full_version": f"{python}.0",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "platform_machine": "x86_64" if self.name == "linux" else "AMD64",
            "extra": "",
        }


TARGETS = {
    "linux": Target(
        "linux",
        tuple(_LINUX_PLATFORMS),
        {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux"},
    ),
    "windows": Target(
        "windows",
        ("win_amd64",),
        {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows"},
    ),
}


class BundleError(RuntimeError):
    pass


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BundleError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr}")


def build_quiz_wheel(dest: Path, source: Path = ROOT) -> Path:
    """Build the quiz wheel from a copy of the source tree (nothing is written into it)."""
    with tempfile.TemporaryDirectory(prefix="quiz-build-") as tmp:
        tree = Path(tmp) / "src"
        ignore = shutil.ignore_patterns(
            ".git", ".venv", ".wheelhouse", "build", "dist", "instance", "*.egg-info", ".*cache",
            "__pycache__", "test-artifacts", "tests", "bench", "docs",
        )  # fmt: skip
        shutil.copytree(source, tree, ignore=ignore)
        _pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dest), str(tree))
    wheels = sorted(dest.glob("quiz-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise BundleError(f"no quiz wheel was built in {dest}")
    return wheels[-1]


def download(
    wheels: Path, requirements: Sequence[str], target: Target, python: str, constraints: Path
) -> None:
    """``pip download`` binary wheels of ``requirements`` (and their dependencies) for one
    target platform and Python version into ``wheels``."""
    platforms = [arg for p in target.platforms for arg in ("--platform", p)]
    _pip(
        "download",
        "--quiet",
        "--dest",
        str(wheels),
        "--find-links",
        str(wheels),
        "--only-binary=:all:",
        *platforms,
        "--python-version",
        python,
        "--implementation",
        "cp",
        "-c",
        str(constraints),
        *requirements,
    )


# --- completeness -------------------------------------------------------------------------


def _supported_tags(target: Target, python: str) -> set[Any]:
    from packaging import tags

    version = tuple(int(part) for part in python.split("."))
    interpreter = f"cp{version[0]}{version[1]}"
    found = set(tags.cpython_tags(version, platforms=target.platforms))
    found.update(tags.compatible_tags(version, interpreter, platforms=target.platforms))
    return found


def _metadata_requirements(wheel: Path) -> list[Any]:
    from email.parser import Parser

    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    return [Requirement(value) for value in metadata.get_all("Requires-Dist") or []]


def missing_requirements(wheels: Path, target: Target, python: str) -> list[str]:
    """Requirements of quiz (transitively, for ``target`` and ``python``) with no compatible
    wheel in the folder ``wheels``; empty when an offline install will succeed."""
    from packaging.utils import canonicalize_name, parse_wheel_filename

    supported = _supported_tags(target, python)
    available: dict[str, list[tuple[Any, Path]]] = {}
    for wheel in wheels.glob("*.whl"):
        name, version, _build, wheel_tags = parse_wheel_filename(wheel.name)
        if wheel_tags & supported:
            available.setdefault(name, []).append((version, wheel))
    if "quiz" not in available:
        return ["quiz (the quiz wheel itself)"]
    environment = target.environment(python)
    missing: list[str] = []
    seen: set[str] = set()
    todo = [(max(available["quiz"])[1], set[str]())]
    while todo:
        wheel, extras = todo.pop()
        for requirement in _metadata_requirements(wheel):
            marker = requirement.marker
            if marker is not None and not any(
                marker.evaluate({**environment, "extra": extra}) for extra in extras | {""}
            ):
                continue
            name = canonicalize_name(requirement.name)
            key = f"{name}[{','.join(sorted(requirement.extras))}]{requirement.specifier}"
            if key in seen:
                continue
            seen.add(key)
            matches = [
                (version, path)
                for version, path in available.get(name, [])
                if requirement.specifier.contains(version, prereleases=True)
            ]
            if not matches:
                missing.append(f"{requirement.name}{requirement.specifier}")
                continue
            todo.append((max(matches)[1], set(requirement.extras)))
    return sorted(set(missing))


def complete(wheels: Path, targets: Iterable[Target], pythons: Iterable[str]) -> dict[str, list]:
    """``{"windows 3.12": [missing, ...]}`` for every target and Python with a gap."""
    gaps = {}
    for target in targets:
        for python in pythons:
            missing = missing_requirements(wheels, target, python)
            if missing:
                gaps[f"{target.name} {python}"] = missing
    return gaps


# --- the folder ---------------------------------------------------------------------------

README = """\
quiz {version} — 离线安装包 / offline installer
=================================================

中文
----
本文件夹可在没有网络的笔记本上安装并启动 quiz（Windows 或 Linux，x86-64，Python 3.11–3.13）。
1. 先把整个文件夹复制到笔记本硬盘上（不要直接在 U 盘里运行）。
2. 确认已安装 Python 3.11、3.12 或 3.13（Windows 安装时勾选 "Add python.exe to PATH"）。
3. Windows：双击 start.bat；Linux：在终端运行  sh start.sh
   第一次运行会在本文件夹里创建 venv 并离线安装（约一分钟），之后直接启动。
4. 窗口里会显示主持台地址（含口令）、大屏幕地址和观众二维码。主持人口令保存在数据文件夹里，
   重启后不变；要更换口令：start.bat --new-token（或 sh start.sh --new-token）。
数据（数据库、主持人口令、导出、备份）保存在用户数据文件夹，启动时会显示路径；
可用 --data-dir 文件夹 或环境变量 QUIZ_DATA_DIR 指定。
其他参数与 quiz serve 相同，例如  start.bat --port 8080

English
-------
This folder installs and starts quiz on a laptop with no internet (Windows or Linux, x86-64,
Python 3.11 to 3.13).
1. Copy the whole folder to the laptop's disk first (do not run it from the USB stick).
2. Make sure Python 3.11, 3.12 or 3.13 is installed (on Windows tick "Add python.exe to PATH").
3. Windows: double-click start.bat. Linux: run  sh start.sh  in a terminal.
   The first run creates a venv in this folder and installs offline (about a minute); later runs
   start at once.
4. The window shows the host console address (with its token), the LED display address and the
   audience QR code. The host token is kept in the data folder and survives restarts; for a new
   one: start.bat --new-token (or sh start.sh --new-token).
Data (database, host token, exports, backups) goes to the user data folder, printed at start;
choose another with --data-dir FOLDER or the QUIZ_DATA_DIR environment variable.
Other options are those of quiz serve, e.g.  start.bat --port 8080

Contents: wheels/ (every package, for Linux and Windows), constraints.txt (the tested versions).
"""

START_SH = """\
#!/bin/sh
# Install quiz from wheels/ into ./venv (first run only, no network), then start the server.
# Arguments go to `quiz serve`, e.g.  sh start.sh --port 8080
set -e
cd "$(dirname "$0")"
VENV="${QUIZ_VENV:-venv}"
if [ ! -f "$VENV/.quiz-installed" ]; then
    "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-index \\
        --find-links wheels -c constraints.txt quiz
    touch "$VENV/.quiz-installed"
fi
exec "$VENV/bin/quiz" serve "$@"
"""

START_BAT = """\
@echo off
rem Install quiz from wheels\\ into .\\venv (first run only, no network), then start the server.
rem Arguments go to "quiz serve", e.g.  start.bat --port 8080
cd /d "%~dp0"
if not exist venv\\.quiz-installed (
    py -3 -m venv venv 2>nul || python -m venv venv
    if errorlevel 1 goto failed
    venv\\Scripts\\python -m pip install --disable-pip-version-check --no-index ^
        --find-links wheels -c constraints.txt quiz
    if errorlevel 1 goto failed
    echo installed> venv\\.quiz-installed
)
venv\\Scripts\\quiz serve %*
pause
exit /b 0
:failed
echo Install failed: Python 3.11, 3.12 or 3.13 (64-bit) is needed. See README.txt.
pause
exit /b 1
"""


def build(
    out: Path,
    constraints: Path,
    targets: Sequence[str] = ("linux", "windows"),
    pythons: Sequence[str] = PYTHONS,
    log: Any = print,
) -> Path:
    """Write ``out/quiz-offline-VERSION/`` and its zip; returns the folder."""
    from quiz import __version__

    folder = out / f"quiz-offline-{__version__}"
    shutil.rmtree(folder, ignore_errors=True)
    wheels = folder / "wheels"
    wheels.mkdir(parents=True)
    started = time.monotonic()
    quiz_wheel = build_quiz_wheel(wheels)
    log(f"built {quiz_wheel.name}")
    chosen = [TARGETS[name] for name in targets]
    for target in chosen:
        for python in pythons:
            download(wheels, [str(quiz_wheel)], target, python, constraints)
            # Dependencies behind markers of the target (pip evaluates them for this machine).
            for _round in range(5):
                missing = missing_requirements(wheels, target, python)
                if not missing:
                    break
                download(wheels, missing, target, python, constraints)
            log(f"{target.name} {python}: {len(list(wheels.glob('*.whl')))} wheels so far")
    gaps = complete(wheels, chosen, pythons)
    if gaps:
        raise BundleError(f"the bundle is incomplete: {gaps}")
    shutil.copy(constraints, folder / "constraints.txt")
    (folder / "README.txt").write_text(README.format(version=__version__), encoding="utf-8-sig")
    (folder / "start.sh").write_text(START_SH, encoding="utf-8", newline="\n")
    (folder / "start.sh").chmod(0o755)
    (folder / "start.bat").write_text(START_BAT, encoding="ascii", newline="\r\n")
    archive = shutil.make_archive(str(folder), "zip", root_dir=out, base_dir=folder.name)
    log(
        f"bundle: {folder} ({len(list(wheels.glob('*.whl')))} wheels) and {archive} "
        f"in {time.monotonic() - started:.0f} s"
    )
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quiz.server.bundle", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--constraints", type=Path, default=ROOT / "constraints.txt")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), default=None)
    parser.add_argument("--python", action="append", choices=PYTHONS, default=None)
    args = parser.parse_args(argv)
    try:
        build(
            args.out,
            args.constraints.resolve(),
            targets=args.target or ("linux", "windows"),
            pythons=args.python or PYTHONS,
        )
    except BundleError as exc:
        print(f"bundle failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
