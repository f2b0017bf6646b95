"""Pairwise and BCubed agreement against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from unreid.identities.agreement import bcubed, identity_agreement


def test_mixed_example_closed_form() -> None:
    found = [0, 0, 0, 1, 1, -1]
    truth = [0, 0, 1, 1, 1, 2]
    result = identity_agreement(found, truth)
    # found pairs: 3 + 1 = 4, true pairs: 1 + 3 = 4, shared: (0,1) and (3,4) = 2
    assert result.pairwise_precision == pytest.approx(0.5)
    assert result.pairwise_recall == pytest.approx(0.5)
    assert result.pairwise_f == pytest.approx(0.5)
    # BCubed precision: (2/3 + 2/3 + 1/3 + 1 + 1 + 1) / 6; recall: (1 + 1 + 1/3 + 2/3 + 2/3 + 1) / 6
    assert result.bcubed_precision == pytest.approx(7 / 9)
    assert result.bcubed_recall == pytest.approx(7 / 9)
    assert result.bcubed_f == pytest.approx(7 / 9)
    assert (result.identities_found, result.identities_true, result.crops) == (2, 3, 6)


def test_perfect_identities_score_one_whatever_the_numbering() -> None:
    result = identity_agreement([5, 5, 2, 2, 2, 9], [0, 0, 1, 1, 1, 2])
    assert (result.pairwise_f, result.bcubed_f) == (pytest.approx(1.0), pytest.approx(1.0))


def test_all_unassigned_are_singletons() -> None:
    precision, recall, f_score = bcubed([-1, -1, -1, -1], [0, 0, 0, 1])
    assert precision == pytest.approx(1.0)
    assert recall == pytest.approx((1 / 3 + 1 / 3 + 1 / 3 + 1) / 4)
    assert f_score == pytest.approx(2 * recall / (1 + recall))
    result = identity_agreement([-1, -1, -1, -1], [0, 0, 0, 1])
    assert result.pairwise_precision == 0.0 and result.pairwise_recall == 0.0 and result.identities_found == 0


def test_everything_in_one_identity() -> None:
    precision, recall, _ = bcubed(np.zeros(4, dtype=int), [0, 0, 1, 1])
    assert precision == pytest.approx(0.5) and recall == pytest.approx(1.0)


def test_length_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="3 labels but truth has 2"):
        identity_agreement([0, 0, 1], [0, 0])
