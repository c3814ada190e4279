"""The papermill runner: real kernels executing tiny notebooks."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from dfutils.cli import main
from dfutils.run.runner import NotebookFailed, run_profile

from ..conftest import write_notebook, write_yaml

pytestmark = pytest.mark.slow

HEADER = 'profile: str = "x"  # profile\nseed: int = 0  # seed\nfigures_file: str = ""  # key figures\n'


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    write_notebook(
        folder,
        "passes",
        HEADER + "scale: float = 1.0  # multiplier\n",
        "import numpy as np\nfrom dfutils.seeding import seed_everything\n"
        "from dfutils.run.key_figures import record_figures\n"
        "seed_everything(seed, keras=False)",
        "draw = float(np.random.rand()) * scale\nrecord_figures(figures_file, draw=draw, profile_seen=profile)\n"
        "print('drawn', draw)",
    )
    write_notebook(
        folder, "raises", HEADER,
        "x = 1",
        "values = {}\nvalues['missing_key_for_test']",
    )
    return folder


PROFILE = """profile: tiny
seed: 7
notebooks:
  - notebook: passes
    parameters: {scale: 2.0}
  - notebook: raises
  - notebook: passes
    name: passes-again
"""


def test_passing_notebook_writes_report_record_and_figures(tmp_path, notebooks, isolated_outputs):
    params = write_yaml(
        tmp_path / "tiny.yaml",
        "profile: tiny\nseed: 7\nnotebooks:\n  - notebook: passes\n    parameters: {scale: 2.0}\n",
    )
    lines = []
    result = run_profile(params, notebooks_dir=notebooks, echo=lines.append)
    reports = isolated_outputs / "reports" / "tiny"
    assert (reports / "passes.ipynb").is_file()
    html = (reports / "passes.html").read_text()
    assert "drawn" in html  # the executed output is in the page
    index = (reports / "index.html").read_text()
    assert 'href="passes.html"' in index and ">ok<" in index and "draw" in index
    record = json.loads(result.run_json.read_text())
    assert record["status"] == "ok" and record["seed"] == 7
    assert record["params"]["notebooks"][0]["parameters"] == {"scale": 2.0}
    assert record["environment"]["packages"]["papermill"]
    assert "commit" in record["environment"]["git"]
    assert record["environment"]["cpu"]["cores"] >= 1 and record["environment"]["cpu"]["vector_isa"]
    assert f"CPU {record['environment']['cpu']['model']}" in index  # the report names the CPU its figures came from
    entry = record["notebooks"][0]
    assert entry["parameters"] == {"profile": "tiny", "seed": 7, "scale": 2.0}
    assert entry["figures"]["profile_seen"] == "tiny" and 0 <= entry["figures"]["draw"] <= 2
    assert entry["duration_s"] > 0
    assert any(re.search(r"\[1/1\] passes: ok in \d+\.\d s", line) for line in lines)


def test_failing_notebook_stops_the_run_and_names_notebook_and_cell(tmp_path, notebooks, isolated_outputs):
    params = write_yaml(tmp_path / "tiny.yaml", PROFILE)
    with pytest.raises(NotebookFailed) as raised:
        run_profile(params, notebooks_dir=notebooks, echo=lambda line: None)
    message = str(raised.value)
    assert "notebook raises failed in cell [4]" in message
    assert "KeyError" in message and "missing_key_for_test" in message
    reports = isolated_outputs / "reports" / "tiny"
    assert "missing_key_for_test" in (reports / "raises.html").read_text()  # error visible in partial HTML
    assert not (reports / "passes-again.ipynb").exists()  # the run stopped
    record = json.loads((isolated_outputs / "artifacts" / "tiny" / "run.json").read_text())
    assert [n["status"] for n in record["notebooks"]] == ["ok", "failed", "not-run"]
    assert record["status"] == "failed"


def test_cli_exits_nonzero_on_failure_and_only_runs_the_named_notebook(
    tmp_path, notebooks, isolated_outputs, monkeypatch, capsys
):
    from dfutils import config

    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    params = write_yaml(tmp_path / "tiny.yaml", PROFILE)
    assert main(["run", str(params), "--only", "passes-again"]) == 0
    reports = isolated_outputs / "reports" / "tiny"
    assert (reports / "passes-again.html").is_file() and not (reports / "raises.ipynb").exists()
    assert main(["run", str(params), "--only", "raises"]) == 1
    err = capsys.readouterr().err
    assert "notebook raises failed in cell [4]" in err
    record = json.loads((isolated_outputs / "artifacts" / "tiny" / "run.json").read_text())
    statuses = {n["name"]: n["status"] for n in record["notebooks"]}
    assert statuses == {"passes": "not-run", "raises": "failed", "passes-again": "ok"}  # earlier result kept


def test_same_seed_gives_same_figures_and_other_seed_differs(tmp_path, notebooks, isolated_outputs):
    def draw(seed: int) -> float:
        params = write_yaml(tmp_path / f"s{seed}.yaml", f"profile: s\nseed: {seed}\nnotebooks:\n  - notebook: passes\n")
        return run_profile(params, notebooks_dir=notebooks, echo=lambda line: None).record["notebooks"][0]["figures"][
            "draw"
        ]

    first, again, other = draw(11), draw(11), draw(12)
    assert first == again
    assert first != other


def test_reports_and_console_carry_genuine_warnings_but_no_start_up_noise(tmp_path, isolated_outputs, capfd):
    folder = tmp_path / "notebooks"
    write_notebook(
        folder, "keras", HEADER,
        "import warnings\nimport keras\nimport numpy as np\n"
        "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
        "print(model.predict(np.zeros((1, 3)), verbose=0).shape)",
        "warnings.warn('a genuine warning for the reader')",
    )
    params = write_yaml(tmp_path / "k.yaml", "profile: k\nseed: 1\nnotebooks:\n  - notebook: keras\n")
    run_profile(params, notebooks_dir=folder, echo=print)
    console = capfd.readouterr()
    assert "Kernel is running over TCP" not in console.out + console.err  # kernels run encrypted
    html = (isolated_outputs / "reports" / "k" / "keras.html").read_text()
    assert "a genuine warning for the reader" in html
    for noise in ("cpu_feature_guard", "absl::InitializeLog", "oneDNN custom operations"):
        assert noise not in html


def test_a_seeds_study_runs_every_notebook_per_seed_and_reports_the_spread(tmp_path, isolated_outputs):
    folder = tmp_path / "notebooks"
    write_notebook(
        folder,
        "scores",
        HEADER,
        "import numpy as np\nimport pandas as pd\nfrom dfutils import config\n"
        "from dfutils.predictions import write_predictions\n"
        "labels = np.arange(40) % 2\n"
        "noise = np.random.default_rng(seed).normal(0, 0.3, 40)\n"
        "table = pd.DataFrame({'video_id': [f'v{k}' for k in range(40)], 'label': labels, 'split': 'test', "
        "'method': np.where(labels == 1, 'Deepfakes', 'real'), 'score': np.clip(0.3 + 0.4 * labels + noise, 0, 1)})\n"
        "write_predictions(table, config.artifacts_dir(profile) / 'models' / 'm', 'model m', paper='B')",
    )
    params = write_yaml(
        tmp_path / "s.yaml", "profile: study\nseed: 1\nseeds: [3, 4, 5]\nnotebooks:\n  - notebook: scores\n"
    )
    lines = []
    run_profile(params, notebooks_dir=folder, echo=lines.append)
    artifacts = isolated_outputs / "artifacts" / "study"
    spread = pd.read_csv(artifacts / "seeds.csv")
    assert spread["model"].tolist() == ["model m"] and spread.loc[0, "seeds"] == 3
    per_seed = [spread.loc[0, f"auc[{seed}]"] for seed in (3, 4, 5)]
    assert len(set(per_seed)) == 3  # each seed its own draw
    assert spread.loc[0, "auc_min"] == min(per_seed) and spread.loc[0, "auc_max"] == max(per_seed)
    assert spread.loc[0, "auc_mean"] == pytest.approx(np.mean(per_seed), abs=1e-4)  # seeds.csv keeps 4 decimals
    for seed in (3, 4, 5):  # every seed's run is a whole run of its own
        assert json.loads((artifacts / f"seed-{seed}" / "run.json").read_text())["seed"] == seed
    index = (isolated_outputs / "reports" / "study" / "index.html").read_text()
    assert 'href="seed-4/index.html"' in index and "model m" in index and "auc[5]" in index
    assert "CPU " in index and "dfutils compare" in index  # the seeds' spread is this machine's
    assert any(line.startswith("test AUC over seeds") for line in lines)

    # the single-seed run that names the study quotes each model's spread beside its own figure
    single = write_yaml(
        tmp_path / "one.yaml", "profile: one\nseed: 9\nseeds_study: study\nnotebooks:\n  - notebook: scores\n"
    )
    run_profile(single, notebooks_dir=folder, echo=lines.append)
    index = (isolated_outputs / "reports" / "one" / "index.html").read_text()
    low, high = spread.loc[0, "auc_min"], spread.loc[0, "auc_max"]
    quoted = f"{spread.loc[0, 'auc_mean']:.3f} ({low:.3f} &ndash; {high:.3f}), 3 seeds"
    assert "AUC over seeds" in index and quoted in index and 'href="../study/index.html"' in index
    # without the study's results the report says how to get them
    (artifacts / "seeds.csv").unlink()
    run_profile(single, notebooks_dir=folder, echo=lines.append)
    index = (isolated_outputs / "reports" / "one" / "index.html").read_text()
    assert "single-seed figures" in index and "dfutils run params/study.yaml" in index and "3 seeds" not in index


def test_seeds_must_be_distinct_non_negative_integers(tmp_path, notebooks):
    from dfutils.errors import ParamsError
    from dfutils.run.params import load_profile

    for bad in ("[1, 1]", "[-2]", "[a]"):
        params = write_yaml(
            tmp_path / "bad.yaml", f"profile: b\nseed: 1\nseeds: {bad}\nnotebooks:\n  - notebook: passes\n"
        )
        with pytest.raises(ParamsError, match="seeds: expected distinct non-negative integers"):
            load_profile(params, notebooks)


def test_set_overrides_a_parameter_for_one_run_is_recorded_and_can_rename_the_run(tmp_path, notebooks, isolated_outputs,
                                                                                   monkeypatch, capsys):
    from dfutils import config

    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    params = write_yaml(tmp_path / "tiny.yaml", PROFILE)
    assert (
        main(["run", str(params), "--only", "passes", "--set", "passes.scale=0.0", "--set", "profile=tiny-trial"]) == 0
    )
    trial = json.loads((isolated_outputs / "artifacts" / "tiny-trial" / "run.json").read_text())
    assert trial["overrides"] == ["passes.scale=0.0", "profile=tiny-trial"]
    first = next(n for n in trial["notebooks"] if n["name"] == "passes")
    assert first["parameters"]["scale"] == 0.0 and first["figures"]["draw"] == 0.0
    assert first["figures"]["profile_seen"] == "tiny-trial"
    assert not (isolated_outputs / "artifacts" / "tiny").exists()  # the real run's artifacts untouched
    capsys.readouterr()
    assert main(["run", str(params), "--set", "passes.scale=much"]) == 2
    error = capsys.readouterr().err.strip()
    assert "--set passes.scale: expected float, got str 'much'" in error and len(error.splitlines()) == 1
    assert main(["run", str(params), "--set", "speed=3"]) == 2
    assert "no notebook of this profile declares 'speed'" in capsys.readouterr().err


def test_a_second_run_of_a_profile_is_refused_and_a_killed_runs_lock_is_free(tmp_path, notebooks, isolated_outputs,
                                                                             monkeypatch, capsys):
    """The lock is the operating system's: a process that holds it (here another one, in the middle of a run)
    makes a second run exit 4 at once, naming it; killed with SIGKILL, it holds nothing, and the next run starts."""
    import signal
    import subprocess
    import sys

    from dfutils import config

    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    params = write_yaml(tmp_path / "tiny.yaml", PROFILE)
    folder = isolated_outputs / "artifacts" / "tiny"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom dfutils.atomic import exclusive\n"
                               f"with exclusive({str(folder)!r}, 'dfutils run tiny'):\n    print('held', flush=True)\n"
                               "    time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["run", str(params), "--only", "passes"]) == 4
        error = capsys.readouterr().err
        assert f"is being written by another process (dfutils run tiny, process {holder.pid}" in error
        assert main(["run", str(params), "--only", "passes", "--set", "profile=other"]) == 0  # other profiles run
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (folder / ".lock.json").is_file()  # what the killed holder left: no lock for all that
    assert main(["run", str(params), "--only", "passes"]) == 0
    assert not (folder / ".lock.json").exists()


SLEEPER = 'profile: str = "x"  # p\nseed: int = 0  # s\nseconds: float = 60.0  # how long it sleeps\n'


def test_an_interrupted_run_says_where_frees_everything_and_the_next_run_resumes(tmp_path, notebooks, isolated_outputs):
    """SIGTERM in the middle of a notebook: run.json and the report say "interrupted" and which notebook, the
    partial notebook's HTML is written, the kernel is gone and the lock free; the next run keeps what finished
    and runs the rest; a changed parameter, or --force, runs it again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    write_notebook(
        notebooks,
        "sleeps",
        SLEEPER,
        f"import os, pathlib, time\npathlib.Path({str(tmp_path / 'kernel.pid')!r}).write_text(str(os.getpid()))",
        "time.sleep(seconds)",
    )
    profile = ("profile: tiny\nseed: 7\nnotebooks:\n  - notebook: passes\n    parameters: {scale: 2.0}\n"
               "  - notebook: sleeps\n")
    params = write_yaml(tmp_path / "tiny.yaml", profile)
    command = [
        sys.executable,
        "-c",
        "import sys\nfrom dfutils import config\nfrom pathlib import Path\n"
        f"config.NOTEBOOKS_DIR = Path({str(notebooks)!r})\nfrom dfutils.cli import main\nsys.exit(main(sys.argv[1:]))",
        "run",
        str(params),
    ]
    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while not (tmp_path / "kernel.pid").is_file() and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(1)
    running.send_signal(signal.SIGTERM)
    output = running.communicate(timeout=120)[0]
    assert running.returncode == 130, output
    record = json.loads((isolated_outputs / "artifacts" / "tiny" / "run.json").read_text())
    assert record["status"] == "interrupted" and record["interrupted_in"] == "sleeps"
    assert [entry["status"] for entry in record["notebooks"]] == ["ok", "interrupted"]
    assert "interrupted in sleeps" in (isolated_outputs / "reports" / "tiny" / "index.html").read_text()
    assert (isolated_outputs / "reports" / "tiny" / "sleeps.html").is_file()  # the partial notebook
    kernel = int((tmp_path / "kernel.pid").read_text())
    for _ in range(20):
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the kernel {kernel} of the interrupted notebook is still running")
    assert not (isolated_outputs / "artifacts" / "tiny" / ".lock.json").exists()

    lines = []
    quick = params.parent / "quick.yaml"
    quick.write_text(
        profile.replace("  - notebook: sleeps\n", "  - notebook: sleeps\n    parameters: {seconds: 0.1}\n")
    )
    run_profile(quick, notebooks_dir=notebooks, echo=lines.append)
    record = json.loads((isolated_outputs / "artifacts" / "tiny" / "run.json").read_text())
    assert [entry["status"] for entry in record["notebooks"]] == ["kept", "ok"]  # passes finished: not run again
    assert any(line.startswith("passes: kept from the last run") for line in lines)
    run_profile(quick, notebooks_dir=notebooks, echo=lines.append)
    assert [e["status"] for e in json.loads((isolated_outputs / "artifacts" / "tiny" / "run.json").read_text())
            ["notebooks"]] == ["kept", "kept"]
    changed = params.parent / "changed.yaml"
    changed.write_text(quick.read_text().replace("scale: 2.0", "scale: 3.0"))
    run_profile(changed, notebooks_dir=notebooks, echo=lines.append)  # the first changed: everything runs
    assert [e["status"] for e in json.loads((isolated_outputs / "artifacts" / "tiny" / "run.json").read_text())
            ["notebooks"]] == ["ok", "ok"]
    run_profile(changed, notebooks_dir=notebooks, echo=lines.append, force=True)
    assert [e["status"] for e in json.loads((isolated_outputs / "artifacts" / "tiny" / "run.json").read_text())
            ["notebooks"]] == ["ok", "ok"]


def test_c_libraries_output_goes_to_the_kernel_log_and_python_warnings_stay_in_the_report(tmp_path, notebooks,
                                                                                           isolated_outputs):
    """What C++ libraries write straight to the process's stderr (TensorFlow's absl and oneDNN start-up lines in
    every notebook) goes to artifacts/<profile>/logs/<notebook>.kernel.log; Python's warnings, and the
    progress bars, stay in the notebook, a bar as one line when its task ends."""
    write_notebook(
        notebooks,
        "noisy",
        HEADER,
        "import os, warnings\nos.write(2, b'I0000 C++ start-up line\\\\n')\nwarnings.warn('a genuine warning')",
        "from dfutils.progress import progress_bar\nfor _ in progress_bar(range(50), desc='work'):\n    pass",
    )
    params = write_yaml(tmp_path / "tiny.yaml", "profile: tiny\nseed: 1\nnotebooks:\n  - notebook: noisy\n")
    run_profile(params, notebooks_dir=notebooks, echo=lambda line: None)
    cells = json.loads((isolated_outputs / "reports" / "tiny" / "noisy.ipynb").read_text())["cells"]
    printed = "".join("".join(output.get("text", "")) for cell in cells for output in cell.get("outputs", []))
    assert "C++ start-up line" not in printed and "a genuine warning" in printed
    assert printed.count("work:") == 1 and "50/50" in printed  # one line, at the end
    log = isolated_outputs / "artifacts" / "tiny" / "logs" / "noisy.kernel.log"
    assert "I0000 C++ start-up line" in log.read_text()


def test_a_missing_deepfake_backbone_stops_the_run_before_any_notebook(tmp_path, notebooks, isolated_outputs):
    """A CNN that starts from another profile's backbone: its file absent, nothing runs and the error names the
    command that makes it (never an ImageNet start in silence)."""
    write_notebook(notebooks, "trains", HEADER + 'frame_classifier: dict = {"backbone": "efficientnet_lite0"}  # f\n',
                   "print('trained')")
    params = write_yaml(tmp_path / "tiny.yaml", "profile: tiny\nseed: 7\nnotebooks:\n  - notebook: passes\n"
                                                "  - notebook: trains\n    settings: {frame_classifier: "
                                                "{backbone: efficientnet_lite0, weights: ffpp_c40}}\n")
    from dfutils.errors import UserInputError

    with pytest.raises(
        UserInputError,
        match=r"trains: weights 'ffpp_c40': .*frames-efficientnet_lite0/backbone.keras "
        r"is absent; make it with `dfutils run ffpp_c40 --only 04_frame_baselines`",
    ):
        run_profile(params, notebooks_dir=notebooks, echo=lambda line: None)
    assert not (isolated_outputs / "reports" / "tiny" / "passes.ipynb").exists()
    source = isolated_outputs / "artifacts" / "ffpp_c40" / "models" / "frames-efficientnet_lite0" / "backbone.keras"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"")  # there: the run goes on (the file is read by the notebook that trains)
    result = run_profile(params, notebooks_dir=notebooks, echo=lambda line: None)
    assert json.loads(result.run_json.read_text())["status"] == "ok"
