"""One source for every setting: no function of the package repeats a detector's or the extraction's setting as
a default of its own (a second source, which the settings dataclass could silently disagree with)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import dfutils

# the few functions whose defaults of such names are their own, not a detector's: what a benchmark times, the
# EfficientNet-Lite family's own architecture constants, the test photos' crops, the batch a forward pass takes
OWN_DEFAULTS = {
    "dfutils.evaluation.bench.bench_extract",
    "dfutils.evaluation.bench.bench_codec",
    "dfutils.evaluation.bench.bench_model",
    "dfutils.evaluation.bench_training.bench_train",
    "dfutils.nets.efficientnet_lite.efficientnet_lite",
    "dfutils.nets.efficientnet_lite.build_efficientnet_lite",
    "dfutils.nets.facenet.celebrity_face_crops",
    "dfutils.nets.facenet.FaceNetEmbedder.embed",
    "dfutils.nets.triplet.embed",
    "dfutils.faces.ssd.SSDFaceDetector.detect",
    "dfutils.data.synthdf.generator.build_synthdf",  # a SynthDF size preset (smoke, demo), not a crop side
}


def settings_fields() -> set[str]:
    from dfutils.detectors import settings
    from dfutils.faces.extraction_settings import ExtractionSettings

    classes = [cls for _, cls in inspect.getmembers(settings, inspect.isclass) if dataclasses.is_dataclass(cls)]
    return {field.name for cls in [*classes, ExtractionSettings] for field in dataclasses.fields(cls)} | {
        "facenet_model"
    }


def functions():
    """Every function and method defined in the package, by its dotted name."""
    for info in pkgutil.walk_packages(dfutils.__path__, "dfutils."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in inspect.getmembers(module):
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", value
            elif inspect.isclass(value) and value.__module__ == module.__name__ and not dataclasses.is_dataclass(value):
                for method_name, method in inspect.getmembers(value, inspect.isfunction):
                    if method.__qualname__.startswith(f"{name}."):
                        yield f"{module.__name__}.{name}.{method_name}", method


def repeated_settings(named_functions, fields) -> list[str]:
    return sorted(
        f"{name}({parameter.name}={parameter.default!r})"
        for name, function in named_functions
        if name not in OWN_DEFAULTS
        for parameter in inspect.signature(function).parameters.values()
        if parameter.name in fields and parameter.default is not parameter.empty and parameter.default is not None
    )


def test_no_function_repeats_a_setting_as_its_own_default():
    fields = settings_fields()
    assert {"patience", "learning_rate", "margin", "quality", "frames"} <= fields
    assert repeated_settings(functions(), fields) == []

    def fit(model, epochs: int, patience: int = 5, verbose: int = 2):
        pass
    assert repeated_settings([("fit", fit)], fields) == ["fit(patience=5)"]  # the check finds one
