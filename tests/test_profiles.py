"""Notebook-execution tier: the smoke profile end to end, as CI and a newcomer run it."""

from __future__ import annotations

import json
import re

import pytest

from dfutils import config
from dfutils.cli import main
from dfutils.config import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One run of params/smoke.yaml into a temporary artifacts/ and reports/."""
    root = tmp_path_factory.mktemp("smoke-run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "ARTIFACTS_DIR", root / "artifacts")
        patch.setattr(config, "REPORTS_DIR", root / "reports")
        patch.setenv("DFUTILS_ARTIFACTS", str(root / "artifacts"))  # the kernels read these
        patch.setenv("DFUTILS_REPORTS", str(root / "reports"))
        status = main(["run", str(PROJECT_ROOT / "params" / "smoke.yaml")])
    return status, root / "artifacts" / "smoke", root / "reports" / "smoke"


def test_smoke_profile_runs_every_notebook_and_writes_a_linked_report(smoke_run):
    status, artifacts, reports = smoke_run
    assert status == 0
    record = json.loads((artifacts / "run.json").read_text())
    assert record["status"] == "ok"
    assert all(entry["status"] == "ok" for entry in record["notebooks"])
    index = (reports / "index.html").read_text()
    links = re.findall(r'href="([^"]+)"', index)
    assert {f"{entry['name']}.html" for entry in record["notebooks"]} <= set(links)
    for link in links:
        assert (reports / link).is_file(), link
    data = next(entry for entry in record["notebooks"] if entry["notebook"] == "01_data")
    assert data["figures"]["videos"] == 80 and data["figures"]["fake"] == 64
    assert (artifacts / "index.csv").is_file()


def test_every_image_in_the_report_is_embedded(smoke_run):
    """The HTML pages must stand alone: no image refers to a file that is not there."""
    _, _, reports = smoke_run
    for page in reports.glob("*.html"):
        for source in re.findall(r'<img[^>]+src="([^"]+)"', page.read_text()):
            assert source.startswith("data:image/") or (reports / source).is_file(), (page.name, source[:60])
    assert re.search(r'<img[^>]+src="data:image/png', (reports / "01_data.html").read_text())
