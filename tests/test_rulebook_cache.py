"""The on-disk rulebook cache: the same rulebook as parsing, never stale, optional."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from advisor import rulebook_cache
from advisor.errors import RulebookError
from advisor.rulebook import load_rulebook
from advisor.rulebook_cache import load_rulebook_cached

ROOT = Path(__file__).resolve().parent.parent
CLEAN = ROOT / "tests" / "rulebooks" / "clean.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(folder))
    return folder


def test_cached_rulebook_equals_parsed(cache, tmp_path):
    path = tmp_path / "rb.yaml"
    path.write_text(CLEAN.read_text())
    first = load_rulebook_cached(path)
    assert len(list(cache.glob("rulebook-*.pickle"))) == 1
    second = load_rulebook_cached(path)
    assert second is not first  # read back from disk
    assert second == first == load_rulebook(path)
    assert second.by_id.keys() == first.by_id.keys() and second.order == first.order


def test_an_edited_rulebook_is_parsed_again(cache, tmp_path):
    path = tmp_path / "rb.yaml"
    text = CLEAN.read_text()
    path.write_text(text)
    before = load_rulebook_cached(path)
    path.write_text(text + "\n# edited\n")
    after = load_rulebook_cached(path)
    assert after.sha256 != before.sha256
    assert after == load_rulebook(path)
    assert len(list(cache.glob("rulebook-*.pickle"))) == 2


def test_a_corrupt_entry_is_ignored(cache, tmp_path):
    path = tmp_path / "rb.yaml"
    path.write_text(CLEAN.read_text())
    expected = load_rulebook_cached(path)
    (entry,) = cache.glob("rulebook-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_rulebook_cached(path) == expected


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(folder / "sub"))
    try:
        assert load_rulebook_cached(CLEAN) == load_rulebook(CLEAN)
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_cache_path_that_is_a_file_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker))
    assert load_rulebook_cached(CLEAN) == load_rulebook(CLEAN)


def test_a_bad_rulebook_raises_and_is_not_cached(cache, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rulebook: [not, a, mapping]\n")
    with pytest.raises(RulebookError):
        load_rulebook_cached(path)
    assert not cache.exists() or not list(cache.glob("rulebook-*.pickle"))


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", "off")
    assert rulebook_cache.cache_dir() is None
    assert load_rulebook_cached(CLEAN) == load_rulebook(CLEAN)


def test_the_code_is_part_of_the_entry_name(monkeypatch):
    text = CLEAN.read_bytes()
    name = rulebook_cache._entry(str(CLEAN), text)
    monkeypatch.setattr(rulebook_cache, "code_fingerprint", lambda: b"other code")
    assert rulebook_cache._entry(str(CLEAN), text) != name
