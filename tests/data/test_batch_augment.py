from __future__ import annotations

import torch

from unreid.data.batch_augment import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    normalize,
    random_erasing,
    random_pad_crop,
    train_augment,
)


def test_normalize_matches_torchvision_convention() -> None:
    img = torch.randint(0, 256, (2, 3, 8, 4), dtype=torch.uint8)
    out = normalize(img)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    assert torch.allclose(out, (img.float() / 255 - mean) / std, atol=1e-5)


def test_pad_crop_is_a_shifted_window() -> None:
    img = torch.arange(2 * 1 * 6 * 5, dtype=torch.uint8).view(2, 1, 6, 5) + 1  # no zeros inside
    gen = torch.Generator().manual_seed(0)
    out = random_pad_crop(img, padding=2, generator=gen)
    assert out.shape == img.shape
    for b in range(2):
        padded = torch.nn.functional.pad(img[b], (2, 2, 2, 2))
        matches = [(dy, dx) for dy in range(5) for dx in range(5) if torch.equal(padded[:, dy:dy + 6, dx:dx + 5], out[b])]
        assert matches, "each output must be a window of the padded image"


def test_random_erasing_zeroes_one_rectangle() -> None:
    x = torch.ones(16, 3, 32, 16)
    out = random_erasing(x, p=1.0, generator=torch.Generator().manual_seed(0))
    for img in out:
        zero = (img[0] == 0)
        assert zero.any()
        rows, cols = zero.any(1).nonzero().flatten(), zero.any(0).nonzero().flatten()
        block = zero[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert block.all()  # a filled rectangle
        area = zero.sum().item() / (32 * 16)
        assert 0.0 < area <= 0.45
    assert torch.equal(random_erasing(x, p=0.0), x)


def test_train_augment_shape_dtype_and_device_of_input() -> None:
    img = torch.randint(0, 256, (4, 3, 16, 8), dtype=torch.uint8)
    out = train_augment(img, generator=torch.Generator().manual_seed(0))
    assert out.shape == (4, 3, 16, 8) and out.dtype == torch.float32 and out.device == img.device
