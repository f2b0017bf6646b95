"""How well found identities agree with true ones, when the file names happen to carry them.

Two views, both computed from the contingency table in ``O(N)`` memory:

* pairwise precision / recall / F (pairs of crops put together, as in
  :func:`unreid.clustering.label_quality.label_quality`, which this reuses);
* BCubed precision / recall / F (Bagga & Baldwin, "Entity-based cross-document
  coreferencing using the vector space model", ACL 1998; Amigó et al., "A comparison of
  extrinsic clustering evaluation metrics based on formal constraints", Inf. Retrieval 2009):
  per crop, the share of its identity's crops that are truly its person (precision) and the
  share of its person's crops that are in its identity (recall), averaged over crops. Unlike
  pair counts, BCubed is not dominated by the largest people.

Unassigned crops (``-1``) are singletons: each is an identity of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from unreid.clustering.label_quality import label_quality


@dataclass(frozen=True)
class IdentityAgreement:
    """Agreement of found identities with true ones (see the module docstring)."""

    pairwise_precision: float
    pairwise_recall: float
    pairwise_f: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f: float
    identities_found: int
    """Identities with at least one crop among the compared ones (unassigned crops not counted)."""
    identities_true: int
    crops: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def lines(self) -> list[str]:
        """Human-readable lines for the command's printout."""
        return [
            f"against the identities in the file names ({self.crops} crops):",
            f"  pairwise precision {self.pairwise_precision:.3f}, recall {self.pairwise_recall:.3f}, "
            f"F {self.pairwise_f:.3f}",
            f"  BCubed precision {self.bcubed_precision:.3f}, recall {self.bcubed_recall:.3f}, F {self.bcubed_f:.3f}",
            f"  identities found {self.identities_found}, true {self.identities_true}",
        ]


def _singletons(labels: np.ndarray) -> np.ndarray:
    """Labels with each negative label replaced by a fresh id (a singleton)."""
    labels = labels.astype(np.int64).copy()
    negative = labels < 0
    labels[negative] = labels.max(initial=-1) + 1 + np.arange(int(negative.sum()))
    return labels


def _harmonic(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b > 0 else 0.0


def bcubed(found: Sequence[int] | np.ndarray, truth: Sequence[int] | np.ndarray) -> tuple[float, float, float]:
    """``(precision, recall, F)`` of BCubed; ``-1`` in ``found`` are singletons.

    With ``n_cl`` crops in found identity ``c`` and true person ``l``, precision is
    ``sum n_cl^2 / |c|`` and recall ``sum n_cl^2 / |l|``, each divided by ``N``.
    """
    predicted, actual = _singletons(np.asarray(found)), np.asarray(truth, dtype=np.int64)
    if predicted.shape != actual.shape:
        raise ValueError(f"found has {predicted.size} labels but truth has {actual.size}")
    if predicted.size == 0:
        return 0.0, 0.0, 0.0
    _, predicted = np.unique(predicted, return_inverse=True)
    _, actual = np.unique(actual, return_inverse=True)
    cells, joint = np.unique(np.stack([predicted, actual], axis=1), axis=0, return_counts=True)  # [K, 2], [K]
    cluster_sizes, person_sizes = np.bincount(predicted), np.bincount(actual)
    squared = joint.astype(np.float64) ** 2  # [K]
    precision = float((squared / cluster_sizes[cells[:, 0]]).sum() / predicted.size)
    recall = float((squared / person_sizes[cells[:, 1]]).sum() / predicted.size)
    return precision, recall, _harmonic(precision, recall)


def identity_agreement(found: Sequence[int] | np.ndarray, truth: Sequence[int] | np.ndarray) -> IdentityAgreement:
    """Pairwise and BCubed agreement of ``found`` identities (``-1`` = unassigned) with ``truth``.

    Args:
        found: ``[N]`` identity per crop.
        truth: ``[N]`` true person per crop (only crops whose person is known).

    Raises:
        ValueError: when the lengths differ.
    """
    found_array, truth_array = np.asarray(found, dtype=np.int64), np.asarray(truth, dtype=np.int64)
    if found_array.shape != truth_array.shape:
        raise ValueError(f"found has {found_array.size} labels but truth has {truth_array.size}")
    pairs = label_quality(found_array.tolist(), truth_array.tolist())
    precision, recall, f_score = bcubed(found_array, truth_array)
    return IdentityAgreement(
        pairwise_precision=pairs["precision"], pairwise_recall=pairs["recall"], pairwise_f=pairs["f_score"],
        bcubed_precision=precision, bcubed_recall=recall, bcubed_f=f_score,
        identities_found=len(set(found_array[found_array >= 0].tolist())),
        identities_true=len(set(truth_array.tolist())), crops=int(found_array.size),
    )
