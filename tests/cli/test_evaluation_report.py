from __future__ import annotations

import math

from unreid.cli.evaluation_report import evaluation_summary


def test_scores_that_cannot_be_computed_are_null_with_a_note() -> None:
    nan = math.nan
    summary = evaluation_summary({"mAP": nan, "R1": nan, "R5": nan}, num_valid_queries=0)
    assert summary["mAP"] is None and summary["R5"] is None and "no query has a correct match" in summary["note"]
    small = evaluation_summary({"mAP": 0.5, "R1": 0.25, "R10": nan}, num_valid_queries=3)
    assert small == {"mAP": 50.0, "R1": 25.0, "R10": None, "note": "null: the gallery is too small for that rank"}
    assert "note" not in evaluation_summary({"mAP": 0.123456}, num_valid_queries=1)
    assert evaluation_summary({"mAP": 0.123456}, num_valid_queries=1) == {"mAP": 12.35}
