"""Another profile's split, for a run that follows it (``split_like`` in ``01_data``).

Runs over the same people (FF++ videos as clean crops and at c40) must split them alike to be scored on
each other's test splits; :func:`dfutils.data.datasets.follow_split` does the splitting, this module finds
the split to follow: the other run's index where it has run, else the index its profile's ``01_data``
parameters give (the same split, since it is seeded), built without writing anything.
"""

from __future__ import annotations

import pandas as pd

from dfutils import config
from dfutils.errors import ParamsError


def reference_index(profile: str) -> pd.DataFrame:
    """The index (with its split) of the run ``profile``: ``artifacts/<profile>/index.csv``, or indexed now
    from ``params/<profile>.yaml``'s ``01_data`` parameters when that run has not been made."""
    from dfutils.data import datasets
    from dfutils.run.notebook_params import notebook_parameters
    from dfutils.run.params import load_profile

    made = config.artifacts_dir(profile) / "index.csv"
    if made.is_file():
        return datasets.read_index(made)
    params_file = config.PARAMS_DIR / f"{profile}.yaml"
    if not params_file.is_file():
        raise ParamsError(f"split_like: no run {profile!r} to follow ({made} is absent) and no profile {params_file}")
    run = next((run for run in load_profile(params_file).runs if run.notebook == "01_data"), None)
    if run is None:
        raise ParamsError(f"split_like: {params_file} runs no 01_data, so it has no split to follow")
    values = {name: parameter.default for name, parameter in notebook_parameters(run.path).items()}
    values.update(run.parameters)
    if values.get("split_like"):
        raise ParamsError(f"split_like: {profile!r} follows {values['split_like']!r} itself; name that one instead")
    root, indexer, options = datasets.index_request(
        values["dataset"], values["dataset_root"], config.artifacts_dir(profile) / "synthdf", values["seed"],
        values["compressions"], values["methods"], values["celebdf_protocol"], values["split_fractions"],
        values["crop_pattern"])
    return datasets.index_dataset(indexer, root, **options)
