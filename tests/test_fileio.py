"""The package's one atomic file writer (superscale.fileio)."""

from __future__ import annotations

import pytest

from superscale.fileio import atomic_write


def test_atomic_write_binary_text_and_path_modes(tmp_path):
    p = atomic_write(tmp_path / "sub" / "a.bin", lambda f: f.write(b"\x00\x01"))
    assert p == tmp_path / "sub" / "a.bin" and p.read_bytes() == b"\x00\x01"
    assert p.stat().st_mode & 0o777 == 0o644
    atomic_write(tmp_path / "t.txt", lambda f: f.write("γ = −1\n"), mode="w", encoding="utf-8")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "γ = −1\n"
    atomic_write(tmp_path / "p.txt", lambda tmp: tmp.write_text("by path"), mode=None)
    assert (tmp_path / "p.txt").read_text() == "by path"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["p.txt", "sub", "t.txt"]


@pytest.mark.parametrize("mode", ["wb", None])
def test_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, mode):
    target = tmp_path / "data.nc"
    target.write_bytes(b"old")

    def half_then_fail(f):
        if mode is None:
            f.write_bytes(b"half")
        else:
            f.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        atomic_write(target, half_then_fail, mode=mode)
    assert target.read_bytes() == b"old"
    assert [f.name for f in tmp_path.iterdir()] == ["data.nc"]


def test_atomic_write_rejects_a_read_mode(tmp_path):
    with pytest.raises(ValueError, match="mode must be a write mode"):
        atomic_write(tmp_path / "x", lambda f: None, mode="rb")
    assert not list(tmp_path.iterdir())
