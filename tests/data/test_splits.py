"""The split policy every indexer ends with (dfutils/data/splits.py) and the one row type they state videos in
(dfutils/data/index_files.py)."""

from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from dfutils.data import celebdf, crop_folders, dfdc, ffpp
from dfutils.data.index_files import INDEX_COLUMNS, VideoRow, index_frame
from dfutils.data.splits import split_index


def _rows(splits: dict[str, str]) -> list[VideoRow]:
    """Two videos per group (an original and its fake), each group's split as given ("" for none)."""
    return [VideoRow(f"{group}/{label}.mp4", f"/d/{group}/{label}.mp4", label, "test", "fake" if label else "real",
                     "c23", "", group, split) for group, split in splits.items() for label in (0, 1)]


def test_fixed_splits_stay_the_rest_is_split_by_whole_groups_and_a_leak_is_refused():
    splits = {f"g{n:02d}": "" for n in range(20)} | {"official": "test"}
    df = split_index(index_frame(_rows(splits), []), seed=3)
    assert set(df.loc[df["group"] == "official", "split"]) == {"test"}  # what the dataset fixed
    assert (df.groupby("group")["split"].nunique() == 1).all() and set(df["split"]) == {"train", "val", "test"}
    again = split_index(index_frame(_rows(splits), []), seed=3)
    assert again["split"].tolist() == df["split"].tolist()  # seeded
    leaking = index_frame(_rows({"g": "train"}), [])
    leaking.loc[1, "split"] = "test"
    with pytest.raises(ValueError, match="1 group value"):
        split_index(leaking, seed=0)


def test_the_index_columns_are_the_row_types_fields_and_every_indexer_states_rows_in_it():
    assert INDEX_COLUMNS == [field_.name for field_ in fields(VideoRow)]
    assert list(index_frame(_rows({"g": ""}), []).columns) == INDEX_COLUMNS
    for module in (ffpp, celebdf, dfdc, crop_folders):  # the skeleton's steps are not written again
        source = Path(module.__file__).read_text()
        assert "split_index(" in source and "VideoRow(" in source, module.__name__
        assert "grouped_split(" not in source and "check_no_leak(" not in source, module.__name__
        assert '"dataset": ' not in source, module.__name__  # no row written as a dict by hand
    assert isinstance(index_frame([], []), pd.DataFrame)
