"""Multi-level loss: closed-form values and gradients, and equality with Cluster Contrast."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory


class _ClusterContrastMemory(torch.autograd.Function):
    """Plain re-statement of Cluster Contrast's memory (ACCV 2022): logits are ``x @ F^T``;
    the backward both returns ``grad @ F`` and updates the centroids sample by sample."""

    @staticmethod
    def forward(ctx, inputs: Tensor, targets: Tensor, features: Tensor, momentum: float) -> Tensor:  # type: ignore[override]
        ctx.features, ctx.momentum = features, momentum
        ctx.save_for_backward(inputs, targets)
        return inputs.mm(features.t())

    @staticmethod
    def backward(ctx, grad_outputs: Tensor):  # type: ignore[override]
        inputs, targets = ctx.saved_tensors
        grad_inputs = grad_outputs.mm(ctx.features)
        for x, y in zip(inputs, targets):
            ctx.features[y] = ctx.momentum * ctx.features[y] + (1.0 - ctx.momentum) * x
            ctx.features[y] /= ctx.features[y].norm()
        return grad_inputs, None, None, None


def _memory(features: Tensor, labels: Tensor, clusters: int) -> ClusterMemory:
    return ClusterMemory(features=features, labels=labels, num_clusters=clusters, momentum=0.1)


def test_centroid_level_equals_cluster_contrast() -> None:
    torch.manual_seed(1)
    feats = F.normalize(torch.randn(40, 16), dim=1)
    labels = torch.arange(40) % 5
    memory = _memory(feats, labels, 5)
    reference_centroids = memory.centroids.clone()

    q = F.normalize(torch.randn(12, 16), dim=1)
    y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 1])
    ours_q = q.clone().requires_grad_()
    ours = MultiLevelContrastiveLoss(temperature=0.05, weights={"centroid": 1.0})(ours_q, y, memory)
    ours.total.backward()
    memory.update_centroids(ours_q.detach(), y)

    ref_q = q.clone().requires_grad_()
    ref = F.cross_entropy(_ClusterContrastMemory.apply(ref_q, y, reference_centroids, 0.1) / 0.05, y)
    ref.backward()

    assert torch.allclose(ours.total, ref, atol=1e-6)
    assert torch.allclose(ours_q.grad, ref_q.grad, atol=1e-6)
    assert torch.allclose(memory.centroids, reference_centroids, atol=1e-6)


def test_centroid_loss_and_gradient_closed_form() -> None:
    # Two orthogonal centroids, query at 60 degrees from c0 and 30 from c1, target 0.
    c = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    memory = _memory(c, torch.tensor([0, 1]), 2)
    q = torch.tensor([[0.5, math.sqrt(3) / 2]], requires_grad=True)
    tau = 0.5
    out = MultiLevelContrastiveLoss(temperature=tau, weights={"centroid": 1.0})(q, torch.tensor([0]), memory)
    s0, s1 = 0.5, math.sqrt(3) / 2
    expected = -math.log(math.exp(s0 / tau) / (math.exp(s0 / tau) + math.exp(s1 / tau)))
    assert out.total.item() == pytest.approx(expected, rel=1e-6)
    out.total.backward()
    p0 = math.exp(s0 / tau) / (math.exp(s0 / tau) + math.exp(s1 / tau))
    # d/dq = (sum_k p_k c_k - c_y) / tau
    grad = torch.tensor([[p0 - 1.0, 1.0 - p0]]) / tau
    assert torch.allclose(q.grad, grad, atol=1e-6)


def _two_cluster_memory() -> tuple[ClusterMemory, Tensor]:
    # Cluster 0: instances at 0, 60 and 90 degrees; cluster 1: at 120 and 180 degrees.
    angles = torch.tensor([0.0, 60.0, 90.0, 120.0, 180.0]) * math.pi / 180
    feats = torch.stack([angles.cos(), angles.sin()], dim=1)
    memory = _memory(feats, torch.tensor([0, 0, 0, 1, 1]), 2)
    return memory, feats


def test_intra_level_uses_farthest_instance_of_own_cluster() -> None:
    memory, feats = _two_cluster_memory()
    q = torch.tensor([[1.0, 0.0]], requires_grad=True)  # at 0 degrees: farthest own is the 90-degree instance
    tau = 0.5
    out = MultiLevelContrastiveLoss(temperature=tau, weights={"intra": 1.0})(q, torch.tensor([0]), memory)
    pos = 0.0  # cos 90
    neg = float(q.detach() @ memory.centroids[1])
    expected = -math.log(math.exp(pos / tau) / (math.exp(pos / tau) + math.exp(neg / tau)))
    assert out.total.item() == pytest.approx(expected, rel=1e-5)
    out.total.backward()
    p = math.exp(pos / tau) / (math.exp(pos / tau) + math.exp(neg / tau))
    grad = ((p - 1.0) * feats[2] + (1.0 - p) * memory.centroids[1]) / tau
    assert torch.allclose(q.grad[0], grad, atol=1e-5)


def test_inter_level_uses_hardest_instance_of_other_clusters() -> None:
    memory, feats = _two_cluster_memory()
    q = torch.tensor([[0.0, 1.0]], requires_grad=True)  # at 90 degrees: hardest of cluster 1 is the 120-degree one
    tau = 0.5
    out = MultiLevelContrastiveLoss(temperature=tau, weights={"inter": 1.0})(q, torch.tensor([0]), memory)
    pos = float(q.detach() @ memory.centroids[0])
    neg = math.cos(math.radians(30))
    expected = -math.log(math.exp(pos / tau) / (math.exp(pos / tau) + math.exp(neg / tau)))
    assert out.total.item() == pytest.approx(expected, rel=1e-5)
    out.total.backward()
    p = math.exp(pos / tau) / (math.exp(pos / tau) + math.exp(neg / tau))
    grad = ((p - 1.0) * memory.centroids[0] + (1.0 - p) * feats[3]) / tau
    assert torch.allclose(q.grad[0], grad, atol=1e-5)


def test_weights_and_switches() -> None:
    memory, _ = _two_cluster_memory()
    q = F.normalize(torch.randn(4, 2), dim=1)
    y = torch.tensor([0, 1, 0, 1])
    parts = {k: float(v) for k, v in MultiLevelContrastiveLoss(temperature=0.2)(q, y, memory).levels.items()}
    weighted = MultiLevelContrastiveLoss(temperature=0.2, weights={"centroid": 0.5, "intra": 2.0, "inter": 3.0})
    total = weighted(q, y, memory).total
    assert total.item() == pytest.approx(0.5 * parts["centroid"] + 2 * parts["intra"] + 3 * parts["inter"], rel=1e-5)
    assert set(parts) == {"centroid", "intra", "inter"}
    assert weighted.active_levels == ["centroid", "intra", "inter"]
    with pytest.raises(ValueError, match="at least one"):
        MultiLevelContrastiveLoss(weights={"centroid": 0.0, "intra": 0.0, "inter": 0.0})
    with pytest.raises(ValueError, match="temperature"):
        MultiLevelContrastiveLoss(temperature=0.0)


def test_gradients_reach_only_queries_and_are_finite() -> None:
    feats = F.normalize(torch.randn(30, 8), dim=1)
    memory = _memory(feats, torch.arange(30) % 3, 3)
    q = F.normalize(torch.randn(6, 8), dim=1).requires_grad_()
    MultiLevelContrastiveLoss()(q, torch.tensor([0, 1, 2, 0, 1, 2]), memory).total.backward()
    assert q.grad is not None and torch.isfinite(q.grad).all()
    assert not memory.centroids.requires_grad and not memory.instances.requires_grad


def _setup(seed: int = 0) -> tuple[ClusterMemory, Tensor, Tensor]:
    torch.manual_seed(seed)
    feats = F.normalize(torch.randn(30, 8), dim=1)
    labels = torch.arange(30) % 4
    labels[-2:] = -1
    memory = ClusterMemory(features=feats, labels=labels, num_clusters=4)
    q = F.normalize(torch.randn(6, 8), dim=1)
    return memory, q, torch.tensor([0, 1, 2, 3, 0, 1])


def test_centroid_mode_uses_each_clusters_boundary_member() -> None:
    memory, q, y = _setup()
    boundary = memory.instances[memory.boundary_members()]  # [C, D]
    sims_c = q @ memory.centroids.t()
    sims_b = q @ boundary.t()
    own = F.one_hot(y, 4).bool()
    intra = F.cross_entropy(torch.where(own, sims_b, sims_c) / 0.05, y)
    inter = F.cross_entropy(torch.where(own, sims_c, sims_b) / 0.05, y)
    loss = MultiLevelContrastiveLoss(weights={"intra": 1.0, "inter": 1.0}, intra_mode="centroid", inter_mode="centroid")
    terms = loss(q, y, memory)
    assert torch.allclose(terms.levels["intra"], intra, atol=1e-6)
    assert torch.allclose(terms.levels["inter"], inter, atol=1e-6)


def test_batch_pool_takes_farthest_among_batch_members() -> None:
    memory, q, y = _setup(1)
    batch = torch.tensor([0, 4, 1, 5, -1])  # rows 0, 4 (cluster 0) and 1, 5 (cluster 1); a generated image
    loss = MultiLevelContrastiveLoss(weights={"intra": 1.0}, positive_pool="batch")
    got = loss(q, y, memory, batch_instances=batch).levels["intra"]
    sims = q @ memory.instances.t()
    positive = torch.stack([
        sims[b, [i for i in (0, 4, 1, 5) if memory.instance_labels[i] == y[b]]].min() if y[b] in (0, 1)
        else q[b] @ memory.centroids[y[b]]
        for b in range(6)
    ])
    logits = torch.where(F.one_hot(y, 4).bool(), positive.unsqueeze(1), q @ memory.centroids.t())
    assert torch.allclose(got, F.cross_entropy(logits / 0.05, y), atol=1e-6)


def test_level_scale_multiplies_intra_and_inter_only() -> None:
    memory, q, y = _setup(2)
    loss = MultiLevelContrastiveLoss()
    full, half = loss(q, y, memory), loss(q, y, memory, level_scale=0.5)
    levels = full.levels
    assert torch.allclose(half.total, levels["centroid"] + 0.5 * (levels["intra"] + levels["inter"]), atol=1e-5)
    only_centroid = loss(q, y, memory, level_scale=0.0).total
    assert torch.allclose(only_centroid, levels["centroid"], atol=1e-6)


def test_unknown_mode_names_valid_values() -> None:
    with pytest.raises(ValueError, match="intra_mode.*query.*centroid"):
        MultiLevelContrastiveLoss(intra_mode="farthest")
