from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unreid.data.records import Record
from unreid.evaluation import GridLayout, save_ranked_list_grid
from unreid.evaluation.ranked_list_grid import MATCH_COLOUR, MISMATCH_COLOUR, UNKNOWN_COLOUR, grid_size


def _records(tmp_path: Path, specs: list[tuple[int, int]], prefix: str) -> list[Record]:
    records = []
    for i, (pid, cam) in enumerate(specs):
        path = tmp_path / f"{prefix}{i}.jpg"
        Image.new("RGB", (32, 64), (40 * pid % 255, 80, 160)).save(path)
        records.append(Record(path, pid, cam))
    return records


def test_grid_is_written_with_expected_size_and_borders(tmp_path: Path) -> None:
    queries = _records(tmp_path, [(1, 0), (2, 0), (3, 1)], "q")
    gallery = _records(tmp_path, [(1, 0), (1, 1), (2, 2), (-1, 2), (3, 2), (4, 1)], "g")
    distances = torch.arange(18, dtype=torch.float32).view(3, 6)  # every query ranks the gallery in order
    out = save_ranked_list_grid(path=tmp_path / "sub" / "grid.png", query_records=queries, gallery_records=gallery,
                                distances=distances, layout=GridLayout(top_k=4, cell_size=(32, 64)))
    with Image.open(out) as image:
        assert image.size == grid_size(num_rows=3, top_k=4, cell_size=(32, 64))
        pixels = np.asarray(image.convert("RGB")).astype(int)
    # Row 0 (person 1, camera 0): gallery 0 is the same view and junk 3 is hidden, so the list is
    # 1 (hit), 2, 4, 5 (misses). Check the left border colour of the first two thumbnails.
    cell_w = 32 + 2 * 4
    y = 6 + 4 + 32
    first_x, second_x = 6 + (cell_w + 6) + 12 + 1, 6 + 2 * (cell_w + 6) + 12 + 1
    assert np.abs(pixels[y, first_x] - MATCH_COLOUR).max() < 40
    assert np.abs(pixels[y, second_x] - MISMATCH_COLOUR).max() < 40


def test_default_query_choice_and_errors(tmp_path: Path) -> None:
    queries = _records(tmp_path, [(1, 0), (9, 0)], "q")  # person 9 has no match and is not drawn
    gallery = _records(tmp_path, [(1, 1), (2, 1)], "g")
    out = save_ranked_list_grid(path=tmp_path / "g.png", query_records=queries, gallery_records=gallery,
                                distances=np.zeros((2, 2)), num_queries=6, layout=GridLayout(top_k=8))
    with Image.open(out) as image:
        assert image.size == grid_size(num_rows=1, top_k=8)
    with pytest.raises(ValueError, match="shape"):
        save_ranked_list_grid(path=tmp_path / "x.png", query_records=queries, gallery_records=gallery,
                              distances=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="out of range"):
        save_ranked_list_grid(path=tmp_path / "x.png", query_records=queries, gallery_records=gallery,
                              distances=np.zeros((2, 2)), query_indices=[5])


def test_unlabelled_queries_still_show_their_ranked_list(tmp_path: Path) -> None:
    queries = _records(tmp_path, [(-1, 0)], "q")
    gallery = _records(tmp_path, [(-1, 0), (-1, 1)], "g")
    out = save_ranked_list_grid(path=tmp_path / "u.png", query_records=queries, gallery_records=gallery,
                                distances=np.array([[0.2, 0.1]]), layout=GridLayout(top_k=2, cell_size=(32, 64)))
    with Image.open(out) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    cell_w = 32 + 2 * 4
    for rank in (1, 2):  # both gallery entries drawn with a grey border
        x = 6 + rank * (cell_w + 6) + 12 + 1
        assert np.abs(pixels[6 + 4 + 32, x] - UNKNOWN_COLOUR).max() < 40
