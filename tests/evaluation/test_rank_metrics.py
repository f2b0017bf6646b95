from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

import unreid.evaluation.rank_metrics as rank_metrics
from unreid.evaluation import evaluate_ranking


def _score(distances: list[list[float]], query: list[tuple[int, int]], gallery: list[tuple[int, int]], **kwargs):
    return evaluate_ranking(
        distances=np.array(distances, dtype=np.float64),
        query_pids=[p for p, _ in query], query_cams=[c for _, c in query],
        gallery_pids=[p for p, _ in gallery], gallery_cams=[c for _, c in gallery], **kwargs,
    )


# One query (person 1, camera 0); gallery ranked by distance: hit, miss, hit, miss.
# Correct matches at ranks 1 and 3 -> AP = (1/1 + 2/3) / 2 = 5/6, INP = 2 / 3, CMC = 1 from rank 1.
BASE_GALLERY = [(1, 1), (2, 1), (1, 2), (3, 0)]
BASE_DIST = [0.1, 0.2, 0.3, 0.4]


def test_hand_computed_ap_cmc_inp() -> None:
    result = _score([BASE_DIST], [(1, 0)], BASE_GALLERY, max_rank=4)
    assert result.mAP == pytest.approx(5 / 6)
    assert result.mINP == pytest.approx(2 / 3)
    assert result.cmc.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert result.num_valid_queries == 1


def test_cmc_starts_at_first_correct_rank_and_averages_queries() -> None:
    # Query A: hit at rank 1 (AP 1, INP 1). Query B (person 2): gallery order 1,3,2 -> hit at rank 3
    # (AP = 1/3, INP = 1/3). CMC = mean([1,1,1,1], [0,0,1,1]) = [0.5, 0.5, 1, 1].
    gallery = [(1, 1), (3, 1), (2, 1)]
    result = _score([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]], [(1, 0), (2, 0)], gallery, max_rank=4)
    assert result.cmc.tolist() == [0.5, 0.5, 1.0, 1.0]
    assert result.mAP == pytest.approx((1 + 1 / 3) / 2)
    assert result.mINP == pytest.approx((1 + 1 / 3) / 2)
    assert (result.rank1, result.as_dict()["R1"], result.as_dict(percent=True)["mAP"]) == (
        0.5, 0.5, pytest.approx(100 * 2 / 3))


def test_same_person_same_camera_entries_are_removed() -> None:
    # A nearer copy of person 1 from the query's own camera 0 is ignored: same scores as the base case.
    result = _score([[0.05] + BASE_DIST], [(1, 0)], [(1, 0)] + BASE_GALLERY, max_rank=4)
    assert result.mAP == pytest.approx(5 / 6) and result.mINP == pytest.approx(2 / 3)
    # Another person seen by camera 0 is an ordinary miss: ranks of the hits become 2 and 4.
    # AP = (1/2 + 2/4) / 2 = 1/2, INP = 2/4, Rank-1 = 0.
    result = _score([[0.05] + BASE_DIST], [(1, 0)], [(7, 0)] + BASE_GALLERY, max_rank=4)
    assert result.mAP == pytest.approx(0.5) and result.mINP == pytest.approx(0.5) and result.rank1 == 0.0


def test_junk_is_excluded_and_distractors_are_negatives() -> None:
    junk = _score([[0.15] + BASE_DIST], [(1, 0)], [(-1, 1)] + BASE_GALLERY)
    assert junk.mAP == pytest.approx(5 / 6)
    # Distractor (id 0) between the first hit and the miss: hits at ranks 1 and 4.
    # AP = (1/1 + 2/4) / 2 = 3/4, INP = 2/4.
    distractor = _score([BASE_DIST[:1] + [0.15] + BASE_DIST[1:]], [(1, 0)],
                        BASE_GALLERY[:1] + [(0, 3)] + BASE_GALLERY[1:])
    assert distractor.mAP == pytest.approx(0.75) and distractor.mINP == pytest.approx(0.5)


def test_queries_without_valid_match_are_skipped() -> None:
    # Query 2 (person 9) has no match; query 3 (person 3) only has a same-camera match.
    result = _score([BASE_DIST, BASE_DIST, BASE_DIST], [(1, 0), (9, 0), (3, 0)], BASE_GALLERY)
    assert result.num_valid_queries == 1
    assert result.mAP == pytest.approx(5 / 6)


def test_ties_keep_gallery_order() -> None:
    # Equal distances: the stable sort keeps gallery order, so the hit at index 1 is rank 2.
    result = _score([[0.5, 0.5, 0.5]], [(1, 0)], [(2, 1), (1, 1), (3, 1)], max_rank=3)
    assert result.cmc.tolist() == [0.0, 1.0, 1.0]
    assert result.mAP == pytest.approx(0.5) and result.mINP == pytest.approx(0.5)


def test_tensor_input_chunking_and_a_plain_loop_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    q, g = 23, 57
    dist = rng.random((q, g))
    qp, qc = rng.integers(0, 6, q), rng.integers(0, 3, q)
    gp, gc = rng.integers(-1, 6, g), rng.integers(0, 3, g)
    full = evaluate_ranking(distances=torch.from_numpy(dist), query_pids=torch.from_numpy(qp), query_cams=qc,
                            gallery_pids=list(gp), gallery_cams=gc)
    monkeypatch.setattr(rank_metrics, "_CHUNK_ELEMENTS", 100)  # 1 query per chunk
    chunked = evaluate_ranking(distances=dist, query_pids=qp, query_cams=qc, gallery_pids=gp, gallery_cams=gc)
    aps, inps, firsts = [], [], []
    for i in range(q):  # straightforward per-query version of the protocol
        order = np.argsort(dist[i], kind="stable")
        keep = [j for j in order if gp[j] != -1 and not (gp[j] == qp[i] and gc[j] == qc[i])]
        ranks = [r + 1 for r, j in enumerate(keep) if gp[j] == qp[i]]
        if ranks:
            aps.append(np.mean([(n + 1) / r for n, r in enumerate(ranks)]))
            inps.append(len(ranks) / ranks[-1])
            firsts.append(ranks[0])
    cmc = [np.mean([f <= k for f in firsts]) for k in range(1, 11)]
    for result in (full, chunked):
        assert result.num_valid_queries == len(aps)
        assert result.mAP == pytest.approx(np.mean(aps)) and result.mINP == pytest.approx(np.mean(inps))
        np.testing.assert_allclose(result.cmc, cmc)


def test_no_valid_query_gives_nan_and_short_cmc_gives_nan_rank10(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = _score([BASE_DIST], [(9, 0)], BASE_GALLERY)
    assert result.num_valid_queries == 0 and np.isnan(result.mAP) and "no" in caplog.text.lower()
    assert np.isnan(_score([BASE_DIST], [(1, 0)], BASE_GALLERY, max_rank=5).rank10)


def test_bad_input_is_reported() -> None:
    with pytest.raises(ValueError, match="gallery_pids"):
        _score([BASE_DIST], [(1, 0)], BASE_GALLERY[:3])
    with pytest.raises(ValueError, match="nan or inf"):
        _score([[np.nan, 0.2, 0.3, 0.4]], [(1, 0)], BASE_GALLERY)
    with pytest.raises(ValueError, match=r"\[Q, G\]"):
        evaluate_ranking(distances=np.zeros(3), query_pids=[1], query_cams=[0], gallery_pids=[1], gallery_cams=[0])
    with pytest.raises(ValueError, match="max_rank"):
        _score([BASE_DIST], [(1, 0)], BASE_GALLERY, max_rank=0)
