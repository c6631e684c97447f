"""Issue 21: ``s`` never follows a planted link nor replaces an existing screenshot.

The SVG is created exclusively (``O_EXCL | O_NOFOLLOW``): when ``bntui-<step>.svg`` is
taken (a file, a link, a dangling link) it goes to ``bntui-<step>-1.svg`` … and the
message names both.
"""

from __future__ import annotations

from pathlib import Path


async def test_screenshot_never_follows_a_link_or_replaces_a_file(
    tmp_path: Path, monkeypatch, make_app
) -> None:
    monkeypatch.chdir(tmp_path)
    victim, elsewhere = tmp_path / "victim.txt", tmp_path / "elsewhere.svg"
    victim.write_text("precious")
    (tmp_path / "bntui-7.svg").symlink_to(victim)
    (tmp_path / "bntui-7-1.svg").write_text("mine")
    (tmp_path / "bntui-7-2.svg").symlink_to(elsewhere)  # dangling
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(7)
        await pilot.press("s")
        await pilot.pause()
        message = app.app_message or ""
    assert victim.read_text() == "precious" and (tmp_path / "bntui-7.svg").is_symlink()
    assert (tmp_path / "bntui-7-1.svg").read_text() == "mine" and not elsewhere.exists()
    shot = tmp_path / "bntui-7-3.svg"
    assert shot.read_text().lstrip().startswith("<svg") and not shot.is_symlink()
    assert str(shot) in message and "bntui-7.svg" in message, message
