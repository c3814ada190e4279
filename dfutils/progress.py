"""Progress bars that suit where the code runs.

In Jupyter a widget bar; under the runner (papermill, headless, the output
saved into the HTML report) a plain text bar that updates every few seconds,
so the report shows a handful of progress lines rather than hundreds.
"""

from __future__ import annotations

import os
import sys

HEADLESS_ENV = "DFUTILS_HEADLESS"


def progress_bar(*args, **kwargs):
    if os.environ.get(HEADLESS_ENV):
        from tqdm import tqdm

        kwargs.setdefault("mininterval", 10.0)
        kwargs.setdefault("ascii", True)
        kwargs.setdefault("file", sys.stdout)  # stderr would be painted as an error in the report
        return tqdm(*args, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(*args, **kwargs)
