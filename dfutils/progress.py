"""Progress bars that suit where the code runs.

In Jupyter a widget bar; under the runner (papermill, headless, the output
saved into the HTML report) one plain text line per task, written when the task
ends (its count, time and rate), so a report reads as a list of what was done
rather than hundreds of refreshes.
"""

from __future__ import annotations

import os
import sys

HEADLESS_ENV = "DFUTILS_HEADLESS"


def progress_bar(*args, **kwargs):
    if os.environ.get(HEADLESS_ENV):
        kwargs.setdefault("ascii", True)
        kwargs.setdefault("file", sys.stdout)  # stderr would be painted as an error in the report
        return _final_line_bar()(*args, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(*args, **kwargs)


def _final_line_bar():
    """tqdm drawn once, when it closes: the task's one line in a saved report."""
    from tqdm import tqdm

    class FinalLine(tqdm):
        _closing = False

        def display(self, *args, **kwargs):
            if self._closing:
                return super().display(*args, **kwargs)
            return None

        def close(self):
            self._closing = True
            super().close()

    return FinalLine
