"""torchvision downloads are checked against the sha256 prefix in their file name."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision

from unreid.weights.sha256_cache import sha256_of_file
from unreid.weights.state_dict_file import read_state_dict
from unreid.weights.torchvision_download import fetch_torchvision_file, sha256_prefix_of


def test_torchvision_download_checks_hash_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    state = torchvision.models.resnet50().state_dict()
    torch.save(state, tmp_path / "resnet50.pth")
    digest = sha256_of_file(tmp_path / "resnet50.pth")
    for prefix in (digest[:8], "00000000"):
        (tmp_path / f"resnet50-{prefix}.pth").write_bytes((tmp_path / "resnet50.pth").read_bytes())
    good_url = (tmp_path / f"resnet50-{digest[:8]}.pth").as_uri()
    assert sha256_prefix_of(good_url) == digest[:8]
    good = read_state_dict(fetch_torchvision_file(good_url, cache_dir=tmp_path / "cache", timeout_s=5.0))
    assert torch.equal(good["fc.weight"], state["fc.weight"])
    with pytest.raises(OSError, match="sha256 prefix"):
        fetch_torchvision_file((tmp_path / "resnet50-00000000.pth").as_uri(), cache_dir=tmp_path / "cache",
                               timeout_s=5.0)
    assert sorted(p.name for p in (tmp_path / "cache" / "torchvision").iterdir()) == [f"resnet50-{digest[:8]}.pth"]
