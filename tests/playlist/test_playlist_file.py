"""The LED playlist file: its checks (at their line) and which images may be served."""

from __future__ import annotations

from pathlib import Path

from quiz.playlist import IMAGE_MAX_BYTES, image_file, load_playlist

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1e5a0d30000000049454e44ae426082"
)


def write(folder: Path, text: str) -> Path:
    path = folder / "playlist.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_playlist(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "poster.png").write_bytes(PNG)
    (tmp_path / "img" / "secret.txt").write_text("no")
    path = write(
        tmp_path,
        "images: img\nslides:\n"
        "  - {text: {zh: 全民参与举报, en: Report it}, title: 清朗网络, seconds: 5}\n"
        "  - {image: poster.png, caption: 海报}\n"
        "  - {qr: 'https://example.invalid/report', caption: 扫码举报}\n"
        "  - {show: leaderboard, seconds: 8}\n",
    )
    playlist, problems = load_playlist(path)
    assert problems == [] and playlist is not None
    assert [s.kind for s in playlist.slides] == ["text", "image", "qr", "show"]
    assert playlist.slides[0].seconds == 5 and playlist.slides[1].seconds == 10
    assert playlist.slides[0].text == {"zh": "全民参与举报", "en": "Report it"}
    found = image_file(playlist, "poster.png")
    assert found is not None and found[1] == "image/png"
    # Only what the playlist lists, never another file of the folder or outside it.
    assert image_file(playlist, "secret.txt") is None
    assert image_file(playlist, "../playlist.yaml") is None


def test_problems_at_their_line(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(b"\0" * (IMAGE_MAX_BYTES + 1))
    (tmp_path / "notes.txt").write_text("x")
    path = write(
        tmp_path,
        "slides:\n"
        "  - {image: ../etc/passwd}\n"
        "  - {image: notes.txt}\n"
        "  - {image: big.png}\n"
        "  - {image: missing.png}\n"
        "  - {text: hi, seconds: 1}\n"
        "  - {show: weather}\n"
        "  - {text: a, qr: b}\n"
        "  - {qr: 'http://x', colour: red}\n",
    )
    playlist, problems = load_playlist(path)
    assert playlist is None
    text = "\n".join(problems)
    for line, words in [
        (2, "no folders"),
        (3, "one of .gif"),
        (4, "over 5 MiB"),
        (5, "no file 'missing.png'"),
        (6, "seconds must be 3-600"),
        (7, "show: one of leaderboard, draw"),
        (8, "exactly one of"),
        (9, "unknown key 'colour'"),
    ]:
        assert any(p.startswith(f"{path}:{line}:") and words in p for p in problems), (line, text)
