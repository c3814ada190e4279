"""What a run records about itself."""

from __future__ import annotations

import subprocess

from dfutils.run import provenance


def test_the_record_names_python_packages_and_the_commit(tmp_path):
    record = provenance.environment_record()
    assert record["python"].count(".") == 2
    assert {"numpy", "pandas", "keras", "dfutils"} <= set(record["packages"])
    assert "not-a-package" not in provenance.package_versions(("numpy", "not-a-package"))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert provenance.git_revision(tmp_path) == {"commit": None, "dirty": False}  # no commit yet
    (tmp_path / "a.txt").write_text("a")
    subprocess.run(["git", "-C", str(tmp_path), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"], check=True)
    clean = provenance.git_revision(tmp_path)
    assert len(clean["commit"]) == 40 and clean["dirty"] is False
    (tmp_path / "a.txt").write_text("changed")
    assert provenance.git_revision(tmp_path)["dirty"] is True
    assert provenance.git_revision(tmp_path / "nowhere") == {"commit": None, "dirty": None}
