"""Same numbers before and after a change: two tiny synthetic runs (generated images on; camera-aware
batches; centred clustering, auto eps, centroid-relative and core-only positives, level ramp), one
thread, their metrics without timings written to OUT/result.json.

    PYTHONPATH=src python scripts/same_numbers_check.py /tmp/before   # on the old tree
    PYTHONPATH=src python scripts/same_numbers_check.py /tmp/after    # on the new tree
    python -c "import json; print(json.load(open('/tmp/before/result.json')) == json.load(open('/tmp/after/result.json')))"
"""
import json
import sys
from pathlib import Path

import torch

try:  # the layout since the configuration schema (0.2)
    from unreid.cli.train_run import run_training
    from unreid.config.loader import load_config
except ImportError:  # unreid 0.1.0
    from unreid.cli.config import load_config  # type: ignore[no-redef]
    from unreid.cli.pipeline import run_training  # type: ignore[no-redef]
from unreid.engine.run_log import read_metrics

torch.set_num_threads(1)
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)

base = [
    "data.dataset=synthetic", f"data.root={out / 'synthetic'}", "data.synthetic_identities=24",
    "data.height=32", "data.width=16", "model.backbone=resnet10t", "model.samples_per_bn=16",
    "cluster.k1=8", "cluster.k2=3", "cluster.min_samples=2", "cluster.eps=0.45",
    "train.epochs=3", "train.iterations=3", "train.num_identities=4", "train.num_instances=4",
    "train.device=cpu", "train.amp=none", "train.channels_last=false", "train.eval_every=1", "train.threads=1",
    "eval.batch_size=64", "eval.grid_queries=2",
]
variants = {
    "gen": ["generator.kind=color", "generator.levels=centroid,intra", "train.camera_aware=true"],
    "opts": ["generator.enabled=false", "cluster.camera_centering=true", "cluster.eps_policy=auto", "cluster.auto_rho=0.02",
             "loss.intra_mode=centroid", "loss.positive_pool=core", "loss.ramp_start=1", "loss.ramp_epochs=1"],
}
result = {}
for name, extra in variants.items():
    outcome = run_training(load_config(overrides=base + [f"output_dir={out / name}"] + extra), progress=False)
    result[name] = {"rows": [{k: v for k, v in r.items() if not k.startswith("time_")} for r in read_metrics(out / name)],
                    "before": outcome.before, "after": outcome.after}
(out / "result.json").write_text(json.dumps(result, indent=1, sort_keys=True))
print(json.dumps({k: v["after"] for k, v in result.items()}))
