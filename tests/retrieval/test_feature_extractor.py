from __future__ import annotations

import doctest
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tiny_world import HEIGHT, WIDTH, crop

import unreid
from unreid import FeatureExtractor
from unreid.retrieval import feature_extractor as feature_extractor_module
from unreid.retrieval.image_input import load_pixels, to_rgb


@pytest.fixture(scope="module")
def extractor(tiny_checkpoint: Path) -> FeatureExtractor:
    return FeatureExtractor.from_checkpoint(tiny_checkpoint, device="cpu", batch_size=2)


def test_top_level_exports() -> None:
    from unreid.retrieval.gallery_index import GalleryIndex

    assert unreid.FeatureExtractor is FeatureExtractor and unreid.GalleryIndex is GalleryIndex


def test_docstring_example_runs() -> None:
    result = doctest.testmod(feature_extractor_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


def test_every_input_kind_gives_the_same_unit_embedding(extractor: FeatureExtractor, tmp_path: Path) -> None:
    image = crop(1, 0, 0)  # RGB 96x48
    png = tmp_path / "a.png"
    image.save(png)
    data = png.read_bytes()
    inputs = [png, str(png), data, image, np.asarray(image), np.asarray(image).astype(np.float32) / 255.0]
    feats = extractor(inputs)  # [6, 512]
    assert feats.shape == (6, extractor.embedding_dim)
    assert torch.allclose(feats.norm(dim=1), torch.ones(6), atol=1e-5)
    assert torch.allclose(feats, feats[:1].expand_as(feats), atol=1e-5)


def test_modes_are_converted_like_pil(extractor: FeatureExtractor) -> None:
    rgb = crop(2, 1, 0)
    gray, palette = rgb.convert("L"), rgb.convert("P")
    feats = extractor([
        rgb.convert("RGBA"), rgb,  # fully opaque RGBA: the same pixels as RGB
        gray, gray.convert("RGB"), np.asarray(gray), np.asarray(gray)[:, :, None],
        palette, palette.convert("RGB"),
    ])  # [8, D]
    assert torch.allclose(feats[0], feats[1], atol=1e-6)
    for i in (3, 4, 5):
        assert torch.allclose(feats[2], feats[i], atol=1e-6)
    assert torch.allclose(feats[6], feats[7], atol=1e-6)
    assert not torch.allclose(feats[1], feats[2], atol=1e-3)  # grayscale is not the colour crop


def test_transparent_pixels_become_white() -> None:
    rgba = np.zeros((4, 2, 4), dtype=np.uint8)  # black, fully transparent
    assert np.asarray(to_rgb(rgba)).min() == 255
    pixels = load_pixels(rgba, height=HEIGHT, width=WIDTH)
    assert pixels.shape == (3, HEIGHT, WIDTH) and pixels.dtype == np.uint8


def test_batches_do_not_change_embeddings(extractor: FeatureExtractor) -> None:
    images = [crop(p, 0, 0) for p in range(1, 6)]
    in_twos = extractor(images)  # batch_size 2: three forward passes
    extractor.batch_size = 64
    try:
        at_once = extractor(images)
    finally:
        extractor.batch_size = 2
    assert torch.allclose(in_twos, at_once, atol=1e-5)
    assert extractor([]).shape == (0, extractor.embedding_dim)


def test_bad_inputs_name_the_problem(extractor: FeatureExtractor, tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="notes.jpg: not a readable image"):
        extractor([text])
    with pytest.raises(ValueError, match="missing.png: image file not found"):
        extractor([tmp_path / "missing.png"])
    with pytest.raises(ValueError, match=r"expected HxW, HxWx1, HxWx3 or HxWx4"):
        extractor([np.zeros((4, 4, 2), dtype=np.uint8)])
    with pytest.raises(ValueError, match="bytes of upload: not a readable image"):
        extractor([b"GIF89a?"])


def test_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no checkpoint here"):
        FeatureExtractor.from_checkpoint(tmp_path / "none.pth")
    torch.save({"model": {}}, tmp_path / "old.pth")
    with pytest.raises(ValueError, match="no model_spec"):
        FeatureExtractor.from_checkpoint(tmp_path / "old.pth")


def test_fingerprint_names_the_weights(tiny_checkpoint: Path, extractor: FeatureExtractor) -> None:
    again = FeatureExtractor.from_checkpoint(tiny_checkpoint)
    assert again.fingerprint == extractor.fingerprint and len(again.fingerprint) == 16
    with torch.no_grad():
        again.model.neck.weight[0] += 1e-3
    assert FeatureExtractor(again.model, height=HEIGHT, width=WIDTH).fingerprint != extractor.fingerprint
    assert FeatureExtractor(extractor.model, height=HEIGHT + 1, width=WIDTH).fingerprint != extractor.fingerprint


def test_png_bytes_roundtrip() -> None:
    buffer = io.BytesIO()
    crop(3, 0, 0).convert("LA").save(buffer, format="PNG")
    assert to_rgb(buffer.getvalue()).mode == "RGB"
    assert Image.open(io.BytesIO(buffer.getvalue())).mode == "LA"
