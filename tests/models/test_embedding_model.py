from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.models.backbone import build_backbone, feature_map_size
from unreid.models.embedding_model import build_embedding_model
from unreid.models.gem_pooling import GeMPooling
from unreid.models.ghost_batch_norm import use_ghost_batch_norm


@pytest.mark.parametrize("backbone", ["resnet18", "resnet10t"])
def test_forward_backward_every_parameter_gets_gradient(backbone: str) -> None:
    model = build_embedding_model(backbone=backbone)
    x = torch.randn(4, 3, 64, 32)
    emb = model(x)
    assert emb.shape == (4, model.embedding_dim)
    assert torch.allclose(emb.norm(dim=1), torch.ones(4), atol=1e-5)
    emb.sum().backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None)]
    assert not missing
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    model.eval()
    assert model(x).shape == emb.shape  # embeddings in eval mode too


def test_last_stride_one_doubles_feature_map() -> None:
    a, _ = build_backbone(name="resnet18", last_stride_one=False)
    b, _ = build_backbone(name="resnet18", last_stride_one=True)
    assert feature_map_size(a, height=256, width=128) == (8, 4)
    assert feature_map_size(b, height=256, width=128) == (16, 8)


def test_resnet50_v1_layout_and_unknown_names() -> None:
    net, width = build_backbone(name="resnet50", stride_in_1x1=True)
    assert width == 2048
    assert net.layer2[0].conv1.stride == (2, 2) and net.layer2[0].conv2.stride == (1, 1)
    with pytest.raises(ValueError, match="unknown backbone"):
        build_backbone(name="resnet_does_not_exist")


def test_gem_limits() -> None:
    x = torch.rand(2, 3, 4, 4) + 0.1
    assert torch.allclose(GeMPooling(p=1.0)(x), x.mean(dim=(2, 3)), atol=1e-6)
    big = GeMPooling(p=50.0)(x)
    peak = x.amax(dim=(2, 3))
    # (mean x^p)^(1/p) lies between max * n^(-1/p) and max, and tends to max as p grows
    assert (big <= peak + 1e-5).all() and (big >= peak * 16 ** (-1 / 50) - 1e-5).all()


def test_ghost_batch_norm_equals_per_chunk_batch_norm() -> None:
    bn = torch.nn.BatchNorm2d(3)
    ref = torch.nn.BatchNorm2d(3)
    ref.load_state_dict(bn.state_dict())
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
        ref.weight.copy_(bn.weight)
        ref.bias.copy_(bn.bias)
    assert use_ghost_batch_norm(bn, samples_per_bn=4) == 1
    x = torch.randn(8, 3, 5, 5) * 3 + 1
    out = bn(x)
    expected = torch.cat([F.batch_norm(c, None, None, ref.weight, ref.bias, True, 0.0, ref.eps) for c in x.split(4)])
    assert torch.allclose(out, expected, atol=1e-5)
    # running statistics: the mean of the per-chunk statistics
    chunk_means = torch.stack([c.mean(dim=(0, 2, 3)) for c in x.split(4)]).mean(0)
    assert torch.allclose(bn.running_mean, 0.1 * chunk_means, atol=1e-5)
    bn.eval()
    assert torch.allclose(bn(x), F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps))


@pytest.mark.parametrize("momentum", [0.1, None])
def test_ghost_running_statistics_step_with_the_groups_mean_statistics(momentum: float | None) -> None:
    bn = torch.nn.BatchNorm2d(3, momentum=momentum)
    use_ghost_batch_norm(bn, samples_per_bn=4)
    mean, var = torch.zeros(3), torch.ones(3)
    for step in range(1, 4):
        x = torch.randn(12, 3, 2, 2) * step + step  # 3 groups of 4
        bn(x)
        factor = momentum if momentum is not None else 1.0 / step  # None: the cumulative average, as torch
        var_g, mean_g = zip(*[torch.var_mean(c, dim=(0, 2, 3), correction=1) for c in x.split(4)])
        mean = (1 - factor) * mean + factor * torch.stack(mean_g).mean(0)
        var = (1 - factor) * var + factor * torch.stack(var_g).mean(0)
        assert int(bn.num_batches_tracked) == step
        assert torch.allclose(bn.running_mean, mean, atol=1e-5) and torch.allclose(bn.running_var, var, atol=1e-5)


def test_ghost_batch_norm_gradients_match() -> None:
    bn = torch.nn.BatchNorm1d(6)
    use_ghost_batch_norm(bn, samples_per_bn=2)
    x = torch.randn(6, 6, requires_grad=True)
    bn(x).pow(2).sum().backward()
    x2 = x.detach().clone().requires_grad_()
    torch.cat([F.batch_norm(c, None, None, None, None, True, 0.0, 1e-5) for c in x2.split(2)]).pow(2).sum().backward()
    assert torch.allclose(x.grad, x2.grad, atol=1e-4)
