"""Generated-image mixers are found by name (``generator.mixer``); one registered outside the package trains."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tiny_trainer import tiny_trainer
from unreid.config.loader import load_config
from unreid.config.validation import config_problems
from unreid.generator.batch_mixers import MIXERS, BatchMixer, build_mixer
from unreid.generator.generated_queries import GeneratedBatchMixer, GeneratedImageOptions

mixed: list[np.ndarray] = []


def every_row_generated(source_labels: np.ndarray, *, num_real: int, seed: int,
                        options: GeneratedImageOptions) -> BatchMixer:
    """Each real row ``i`` whose source has a label becomes its own generated image, row ``num_real + i``."""

    def mix(batch: np.ndarray, batch_labels: np.ndarray) -> np.ndarray:
        mixed.append(np.where(source_labels[batch] >= 0, batch + num_real, batch))
        return mixed[-1]

    return mix


@pytest.fixture
def registered() -> Iterator[None]:
    mixed.clear()
    with MIXERS.temporarily("test_every_row", every_row_generated):
        yield


def test_the_default_swaps_the_configured_share_and_nothing_at_a_share_of_zero() -> None:
    labels = np.repeat(np.arange(4), 4)  # [16]
    assert GeneratedImageOptions().mixer == "swap"
    mixer = build_mixer("swap", labels, num_real=16, seed=0, options=GeneratedImageOptions(fraction=0.5))
    assert isinstance(mixer, GeneratedBatchMixer) and mixer.fraction == 0.5 and mixer.num_real == 16
    batch = np.arange(8)
    assert (mixer(batch, labels[batch]) >= 16).sum() == 4
    assert build_mixer("swap", labels, num_real=16, seed=0, options=GeneratedImageOptions(fraction=0.0)) is None


@pytest.mark.usefixtures("registered")
def test_a_mixer_registered_outside_the_package_trains_a_tiny_run() -> None:
    history = tiny_trainer(generated=GeneratedImageOptions(mixer="test_every_row")).fit()
    assert len(mixed) == 2 and all((rows >= 24).all() and len(rows) == 8 for rows in mixed)  # 2 batches of 2 x 4
    assert len(history) == 1 and np.isfinite(history[0]["loss_total"])
    assert not [p for p in config_problems(load_config(overrides=["generator.mixer=test_every_row"]))
                if p.startswith("generator.mixer")]


def test_an_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown generated-image mixer 'cutmix' \(generator.mixer\); registered: "
                                         r"swap$"):
        build_mixer("cutmix", np.zeros(4, dtype=np.int64), num_real=4, seed=0, options=GeneratedImageOptions())
    assert "generator.mixer='cutmix': valid values are swap" in config_problems(
        load_config(overrides=["generator.mixer=cutmix"]))
