"""The LED playlist between matches: the organiser's slides (text, images from a folder, QR
codes, the current leaderboard or draw), each shown for its seconds, looping.

:func:`parse_playlist` checks the plain data of a playlist file (``docs/playlist.md``) against
the folder its images come from; :func:`load_playlist` reads the file (problems as
``file:line:column: message``). Nothing remote: an image is a file name in the organiser's
folder (no path separators, no ``..``), one of the image types in :data:`IMAGE_TYPES`, at most
:data:`IMAGE_MAX_BYTES`; :func:`image_file` is the one place that turns a shown name into a
file, so the HTTP route serves nothing the playlist does not list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz.audience.survey import SpecProblem, SpecReader
from quiz.organiser_files import read_checked

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
IMAGE_MAX_BYTES = 5 * 1024 * 1024
MAX_SLIDES = 50
SECONDS_MIN, SECONDS_MAX, SECONDS_DEFAULT = 3, 600, 10
TEXT_MAX = 200
QR_MAX = 300  # characters of a QR code's content (a link or a phone number)
SHOWS = ("leaderboard", "draw")
KINDS = ("text", "image", "qr", "show")

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Slide:
    kind: str  # text, image, qr or show
    seconds: int
    title: dict[str, str] | None = None
    text: dict[str, str] | None = None  # a text slide's body, or an image's or QR's caption
    image: str | None = None  # the file name in the folder
    qr: str | None = None  # the QR code's content
    show: str | None = None  # leaderboard or draw


@dataclass(frozen=True)
class Playlist:
    slides: tuple[Slide, ...]
    folder: Path  # where the images are

    def image_names(self) -> set[str]:
        return {s.image for s in self.slides if s.image is not None}


class _Check(SpecReader):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def words(self, value: Any, loc: Loc) -> dict[str, str] | None:
        text = self.text(value, loc, TEXT_MAX)
        return None if text is None else text.to_dict()

    def image(self, name: Any, loc: Loc) -> str | None:
        if (
            not isinstance(name, str)
            or not name
            or "/" in name
            or "\\" in name
            or name.startswith(".")
        ):
            self.fail(loc, "image: a file name in the images folder (no folders, no '..')")
            return None
        suffix = Path(name).suffix.lower()
        if suffix not in IMAGE_TYPES:
            self.fail(loc, f"image: one of {', '.join(sorted(IMAGE_TYPES))}")
            return None
        path = self.folder / name
        if not path.is_file():
            self.fail(loc, f"image: no file {name!r} in {self.folder}")
            return None
        if path.stat().st_size > IMAGE_MAX_BYTES:
            self.fail(loc, f"image: {name!r} is over {IMAGE_MAX_BYTES // (1024 * 1024)} MiB")
            return None
        return name

    def slide(self, raw: Any, loc: Loc) -> Slide | None:
        known = {*KINDS, "seconds", "title", "caption"}
        if not isinstance(raw, dict):
            self.fail(loc, "a slide is a mapping")
            return None
        for key in raw:
            if key not in known:
                self.fail((*loc, key), f"unknown key {key!r} (known: {', '.join(sorted(known))})")
        kinds = [k for k in KINDS if k in raw]
        if len(kinds) != 1:
            self.fail(loc, "a slide has exactly one of text, image, qr, show")
            return None
        kind = kinds[0]
        seconds = raw.get("seconds", SECONDS_DEFAULT)
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            self.fail((*loc, "seconds"), "seconds must be a whole number")
            return None
        if not SECONDS_MIN <= seconds <= SECONDS_MAX:
            self.fail((*loc, "seconds"), f"seconds must be {SECONDS_MIN}-{SECONDS_MAX}")
            return None
        title = self.words(raw["title"], (*loc, "title")) if "title" in raw else None
        caption = self.words(raw["caption"], (*loc, "caption")) if "caption" in raw else None
        if kind == "text":
            body = self.words(raw["text"], (*loc, "text"))
            return None if body is None else Slide("text", seconds, title, body)
        if kind == "image":
            name = self.image(raw["image"], (*loc, "image"))
            return None if name is None else Slide("image", seconds, title, caption, image=name)
        if kind == "qr":
            data = raw["qr"]
            if not isinstance(data, str) or not 0 < len(data) <= QR_MAX or not data.isprintable():
                self.fail((*loc, "qr"), f"qr: the code's content, 1-{QR_MAX} characters")
                return None
            return Slide("qr", seconds, title, caption, qr=data)
        if raw["show"] not in SHOWS:
            self.fail((*loc, "show"), f"show: one of {', '.join(SHOWS)}")
            return None
        return Slide("show", seconds, title, show=raw["show"])


def parse_playlist(data: Any, base: Path) -> tuple[Playlist | None, list[SpecProblem]]:
    """The playlist of a file's data; ``base``: the file's folder (``images`` is relative)."""
    check = _Check(base)
    if not isinstance(data, dict):
        return None, [SpecProblem((), "expected a mapping with slides")]
    for key in data:
        if key not in ("v", "images", "slides"):
            check.fail((key,), f"unknown key {key!r} (known: images, slides, v)")
    images = data.get("images", ".")
    if not isinstance(images, str):
        check.fail(("images",), "images: a folder, relative to the playlist file")
    else:
        check.folder = (base / images).resolve()
    slides = data.get("slides")
    if not isinstance(slides, list) or not 0 < len(slides) <= MAX_SLIDES:
        check.fail(("slides",), f"slides: a list of 1-{MAX_SLIDES} slides")
        return None, check.problems
    found = [check.slide(raw, ("slides", i)) for i, raw in enumerate(slides)]
    if check.problems:
        return None, check.problems
    return Playlist(tuple(s for s in found if s is not None), check.folder), []


def load_playlist(path: Path) -> tuple[Playlist | None, list[str]]:
    return read_checked(path, lambda data: parse_playlist(data, path.resolve().parent))


def image_file(playlist: Playlist, name: str) -> tuple[Path, str] | None:
    """The file and MIME type of an image the playlist shows, else None (never any other file
    of the folder, never outside it)."""
    if name not in playlist.image_names():
        return None
    path = (playlist.folder / name).resolve()
    if path.parent != playlist.folder or not path.is_file():
        return None
    if path.stat().st_size > IMAGE_MAX_BYTES:
        return None
    return path, IMAGE_TYPES[path.suffix.lower()]


__all__ = ["Playlist", "Slide", "image_file", "load_playlist", "parse_playlist"]
