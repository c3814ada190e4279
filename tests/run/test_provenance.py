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
    assert provenance.git_revision(tmp_path) == {"commit": None, "dirty": False, "changes": ""}  # no commit yet
    (tmp_path / "a.txt").write_text("a")
    subprocess.run(["git", "-C", str(tmp_path), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"], check=True)
    clean = provenance.git_revision(tmp_path)
    assert len(clean["commit"]) == 40 and clean["dirty"] is False and clean["changes"] == ""
    (tmp_path / "a.txt").write_text("changed")
    changed = provenance.git_revision(tmp_path)
    assert changed["dirty"] is True and len(changed["changes"]) == 12  # the uncommitted changes, as a hash
    (tmp_path / "a.txt").write_text("changed again")
    assert provenance.git_revision(tmp_path)["changes"] != changed["changes"]
    assert provenance.git_revision(tmp_path / "nowhere") == {"commit": None, "dirty": None, "changes": ""}
    record = {"git": changed, "packages": {"numpy": "2.0"}}
    assert provenance.code_fingerprint(record) != provenance.code_fingerprint({**record, "packages": {"numpy": "2.1"}})
    assert provenance.code_fingerprint({"git": {"commit": None}}) is None  # outside git nothing is resumed
