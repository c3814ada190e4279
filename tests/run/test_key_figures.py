"""Key figures a notebook records for the report index."""

from __future__ import annotations

import numpy as np
import pytest

from dfutils.run.key_figures import read_figures, record_figures


def test_figures_merge_into_the_runners_file_as_plain_json(tmp_path):
    target = tmp_path / "figures.json"
    record_figures(str(target), auc=0.75, videos=412)
    record_figures(str(target), auc=0.8, best="frames", missing=float("nan"))
    record_figures(target, count=np.int64(3), share=np.float32(0.5))
    assert read_figures(target) == {"auc": 0.8, "videos": 412, "best": "frames", "missing": None, "count": 3,
                                    "share": 0.5}


def test_without_the_runner_figures_are_only_returned(tmp_path):
    assert record_figures("", auc=0.5) == {"auc": 0.5}
    assert read_figures(tmp_path / "absent.json") == {}
    assert list(tmp_path.iterdir()) == []


def test_a_figure_that_is_not_a_scalar_is_refused():
    with pytest.raises(TypeError, match="figure 'table': expected a number"):
        record_figures("", table=[1, 2])
