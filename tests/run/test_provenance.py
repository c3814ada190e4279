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
    subprocess.run(
        ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"], check=True
    )
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


def test_the_record_names_the_cpu_and_its_widest_vector_instructions(monkeypatch):
    intel = (
        "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
        "model name\t: Intel(R) Xeon(R)\nflags\t\t: fpu sse4_2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: avx512f\n"
    )
    for name in provenance.NUMERIC_VARIABLES:  # a test before this one may have set one (Dask sets OMP_NUM_THREADS)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    cpu = provenance.cpu_record(intel)
    assert cpu["model"] == "Intel(R) Xeon(R)" and cpu["vendor"] == "GenuineIntel"
    assert (cpu["family"], cpu["model_number"]) == ("6", "85")
    assert cpu["vector_isa"] == "avx2"  # the first processor's flags, not a later one's
    assert cpu["numeric_variables"] == {"ONEDNN_MAX_CPU_ISA": "AVX2"}
    assert provenance.cpu_record("flags : avx512f avx2 sse4_2\n")["vector_isa"] == "avx512"
    assert provenance.cpu_record("Features : fp asimd evtstrm\n")["vector_isa"] == "neon"
    assert provenance.cpu_record("")["vector_isa"] == "unknown"
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    here = provenance.environment_record()["cpu"]
    assert here["cores"] >= 1 and "ONEDNN_MAX_CPU_ISA" not in here["numeric_variables"]
