"""``unreid``'s public names resolve, ``import unreid`` stays light, and the package ships ``py.typed``."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import unreid


def test_every_public_name_resolves_to_its_definition() -> None:
    from unreid.cli.train_run import run_training
    from unreid.clustering.pseudo_labels import cluster_features
    from unreid.retrieval.index_store import load_index
    from unreid.retrieval.onnx_extractor import OnnxFeatureExtractor

    assert set(unreid.__all__) == {*unreid._LAZY, "__version__"}
    for name in unreid.__all__:
        assert getattr(unreid, name) is not None and name in dir(unreid)
    assert (unreid.run_training, unreid.cluster_features, unreid.load_index, unreid.OnnxFeatureExtractor) == (
        run_training, cluster_features, load_index, OnnxFeatureExtractor)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        unreid.train  # noqa: B018
    except AttributeError as error:
        assert "no attribute 'train'" in str(error)
    else:
        raise AssertionError("unreid.train should not exist")


def test_import_unreid_loads_neither_torch_nor_numpy() -> None:
    code = "import sys, unreid; print(sorted({'torch', 'numpy', 'timm'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_package_is_marked_typed() -> None:
    assert resources.files("unreid").joinpath("py.typed").is_file()
