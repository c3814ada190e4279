

def test_extraction_settings_have_one_source_for_the_notebook_and_the_command_line(tmp_path, monkeypatch):
    """Notebook 02's settings mapping and dfutils extract's options fill the dataclass by field name; an option left
    out is the dataclass' default (the help says which), and a rate given alone samples by the rate."""
    from dataclasses import fields

    from dfutils import cli
    from dfutils.faces import extraction_settings

    default = extraction_settings.ExtractionSettings()
    assert extraction_settings.ExtractionSettings.from_mapping({}) == default
    rate = extraction_settings.ExtractionSettings.from_mapping({"fps": 2.0, "min_score": None, "size": 64})
    assert (rate.frames, rate.fps, rate.min_score, rate.size) == (None, 2.0, None, 64)
    import pandas as pd

    seen = []

    def extract_index(index, out, settings, **options):
        seen.append(settings)
        return pd.DataFrame({"video_id": ["v"], "status": ["extracted"], "error": [""]})
    monkeypatch.setattr("dfutils.faces.extract.extract_index", extract_index)
    monkeypatch.setattr("dfutils.data.datasets.read_index", lambda path: None)
    assert cli.main(["extract", "--index", "i.csv", "--out", str(tmp_path)]) == 0
    assert cli.main(["extract", "--index", "i.csv", "--out", str(tmp_path), "--fps", "1", "--size", "64",
                     "--keyframe-every", "3"]) == 0
    assert seen == [default, extraction_settings.ExtractionSettings(frames=None, fps=1.0, size=64, keyframe_every=3)]
    parser_help = cli.build_parser()._subparsers._group_actions[0].choices["extract"].format_help()
    for field in fields(extraction_settings.ExtractionSettings):
        if field.name not in ("crf", "crf_face_side"):  # shared with dfutils evaluate
            assert f"--{field.name.replace('_', '-')}" in parser_help, field.name
    assert f"(default: {default.size})" in parser_help and f"(default: {default.margin})" in parser_help
