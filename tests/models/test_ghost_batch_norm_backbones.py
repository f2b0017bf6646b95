"""Ghost BatchNorm on every timm family with BatchNorm: eval unchanged, one group == plain BatchNorm."""

from __future__ import annotations

import copy

import pytest
import timm
import torch
from torch import nn

from unreid.models.ghost_batch_norm import use_ghost_batch_norm

# ResNet (plain BatchNorm2d), EfficientNet-Lite / MobileNetV2 / MobileNetV3 / RegNet (timm's BatchNormAct2d).
FAMILIES = ["resnet10t", "tf_efficientnet_lite0", "mobilenetv2_100", "mobilenetv3_small_100", "regnetx_002"]
BATCH = 4


def _pair(name: str, samples_per_bn: int) -> tuple[nn.Module, nn.Module, int]:
    torch.manual_seed(0)
    plain = timm.create_model(name, num_classes=0, global_pool="")
    with torch.no_grad():  # non-trivial running statistics, so that eval mode is a real check
        for module in plain.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    ghost = copy.deepcopy(plain)
    changed = use_ghost_batch_norm(ghost, samples_per_bn=samples_per_bn)
    return plain, ghost, changed


@pytest.mark.parametrize("name", FAMILIES)
def test_eval_outputs_unchanged(name: str) -> None:
    plain, ghost, changed = _pair(name, samples_per_bn=2)
    assert changed > 0
    x = torch.randn(BATCH, 3, 64, 32)
    plain.eval(), ghost.eval()
    with torch.no_grad():
        assert torch.equal(ghost.forward_features(x), plain.forward_features(x))


@pytest.mark.parametrize("name", FAMILIES)
def test_one_group_equals_plain_batch_norm_in_training(name: str) -> None:
    plain, ghost, _ = _pair(name, samples_per_bn=BATCH)  # one group covers the batch: the grouped path
    x = torch.randn(BATCH, 3, 128, 64)
    plain.train(), ghost.train()
    expected = plain.forward_features(x).detach()  # [B, C, h, w]
    out = ghost.forward_features(x).detach()  # [B, C, h, w]
    assert torch.allclose(out, expected, rtol=1e-3, atol=1e-3 * float(expected.abs().max()))
    for (key, a), (_, b) in zip(plain.state_dict().items(), ghost.state_dict().items()):
        if key.endswith(("running_mean", "running_var")):
            assert torch.allclose(a, b, rtol=1e-3, atol=1e-5), key
        elif key.endswith("num_batches_tracked"):
            assert torch.equal(a, b), key


@pytest.mark.parametrize("name", FAMILIES)
def test_two_groups_equal_plain_batch_norm_on_each_half(name: str) -> None:
    """The grouped path over a whole backbone: BatchNorm is the only layer that mixes samples."""
    plain, ghost, _ = _pair(name, samples_per_bn=BATCH // 2)
    x = torch.randn(BATCH, 3, 128, 64)  # 4x2 maps at the end: statistics over 16 values per group
    plain.train(), ghost.train()
    halves = [copy.deepcopy(plain).forward_features(half) for half in x.split(BATCH // 2)]
    expected = torch.cat(halves).detach()  # [B, C, h, w]
    out = ghost.forward_features(x).detach()  # [B, C, h, w]
    assert torch.allclose(out, expected, rtol=1e-3, atol=1e-3 * float(expected.abs().max()))


def test_activation_kept_with_several_groups() -> None:
    """BatchNormAct2d with two groups: each half normalised on its own, then the layer's ReLU."""
    from timm.layers import BatchNormAct2d

    bn = BatchNormAct2d(3, act_layer=nn.ReLU)
    ref = copy.deepcopy(bn)
    use_ghost_batch_norm(bn, samples_per_bn=2)
    x = torch.randn(4, 3, 5, 5) * 2 + 1
    out = bn(x)
    expected = torch.cat([copy.deepcopy(ref)(half) for half in x.split(2)])
    assert torch.allclose(out, expected, atol=1e-5)
    assert float(out.detach().min()) == 0.0  # the activation ran


def test_zero_turns_it_off_and_unknown_subclasses_are_refused() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    assert use_ghost_batch_norm(model, samples_per_bn=0) == 0
    assert "forward" not in vars(model[1])

    class ScaledBatchNorm(nn.BatchNorm2d):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 2 * super().forward(x)

    with pytest.raises(ValueError, match="ScaledBatchNorm.*samples_per_bn=0"):
        use_ghost_batch_norm(nn.Sequential(ScaledBatchNorm(4)), samples_per_bn=2)


@pytest.mark.parametrize("name", ["tf_efficientnet_lite0", "mobilenetv2_100"])
def test_last_stride_one_doubles_the_final_map_of_efficientnet_family(name: str) -> None:
    from unreid.models.backbone import build_backbone, feature_map_size

    strided, _ = build_backbone(name=name, last_stride_one=False)
    unstrided, _ = build_backbone(name=name, last_stride_one=True)
    assert feature_map_size(strided, height=128, width=64) == (4, 2)
    assert feature_map_size(unstrided, height=128, width=64) == (8, 4)
