"""Retrieval evaluation: Market-1501 protocol metrics, k-reciprocal re-ranking and ranked-list images."""

from unreid.evaluation.rank_metrics import RankingResult, evaluate_ranking
from unreid.evaluation.ranked_list_grid import GridLayout, save_ranked_list_grid
from unreid.evaluation.reranking import k_reciprocal_rerank

__all__ = ["GridLayout", "RankingResult", "evaluate_ranking", "k_reciprocal_rerank", "save_ranked_list_grid"]
