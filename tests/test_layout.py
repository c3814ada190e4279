"""A run's artifacts layout: what it writes in its own folder, what it reads from its data profile's."""

from __future__ import annotations

from dfutils import config
from dfutils.layout import RunLayout


def test_a_run_reads_its_data_profile_and_writes_its_own(isolated_outputs):
    own = RunLayout.of("seeds-1", "demo")
    assert (
        own.index == config.ARTIFACTS_DIR / "demo" / "index.csv"
        and own.faces == config.ARTIFACTS_DIR / "demo" / "faces"
    )
    assert own.model_dir("frames-xception") == config.ARTIFACTS_DIR / "seeds-1" / "models" / "frames-xception"
    assert own.compression_matrix.parent == own.models and own.summary.parent == own.root
    assert own.embedding_cache("keras-facenet-128", 2).name == "facenet-keras-facenet-128-2.npz"
    assert RunLayout.of("demo").data_root == RunLayout.of("demo", "").root == config.ARTIFACTS_DIR / "demo"
