"""The run folder guard: a finished run is never overwritten by accident, two runs never share a folder.

A run folder holds ``config.yaml``, checkpoints and ``metrics.jsonl``. Before anything is
written, :func:`check_run_folder` decides, from ``--resume`` and ``--overwrite`` alone,
whether the command may use the folder, and for ``--resume`` compares the saved
configuration with the new one, naming every key that would make the checkpoint
unusable. :class:`RunLock` then holds an exclusive OS file lock for the run's lifetime,
which ends with the process that holds it (``kill -9`` included).
"""

from __future__ import annotations

import enum
import logging
import os
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from filelock import FileLock, Timeout

from unreid.cli.output_paths import check_name_lengths, check_writable
from unreid.engine.checkpoint import LAST, PREVIOUS, ResumePoint, load_checkpoint, resume_point
from unreid.engine.model_selection import BEST
from unreid.io.output_guard import refuse_protected_folder

logger = logging.getLogger(__name__)

LOCK_FILE = "run.lock"
"""Lock file name inside the run folder; its holder writes ``<pid> <hostname>`` into it."""

RUN_FILES = (
    "config.yaml", LAST, PREVIOUS, "model.pth", "metrics.jsonl", "results.json", "training_curves.png",
    "ranked_lists_before.png", "ranked_lists_after.png", "generated_examples.png",
    "camera_style_generator.pth", "bad_files.txt", BEST,
)
"""Files a run writes; ``--overwrite`` deletes exactly these (nothing else in the folder)."""

RESUME_KEYS = (
    "data.dataset", "data.root", "data.height", "data.width", "data.max_train_images", "data.folder_pattern",
    "data.folder_layout", "data.folder_camera_level",
    "data.synthetic_identities", "data.synthetic_seed", "data.synthetic_camera_strength",
    "model.backbone", "model.embedding_dim", "model.last_stride_one", "model.stride_in_1x1",
    "generator.enabled", "generator.per_image", "train.seed", "train.optimizer", "train.lr_scheduler",
)
"""Keys whose change makes a checkpoint unusable or its metrics incomparable."""


class ResumeMode(enum.Enum):
    """``--resume``: ``required`` refuses without a checkpoint, ``auto`` then starts fresh."""

    NO = "no"
    REQUIRED = "required"
    AUTO = "auto"


def _holds_run(run_dir: Path) -> list[str]:
    return [name for name in RUN_FILES if (run_dir / name).exists()]


LEFT_BEFORE_FIRST_EPOCH = ("bad_files.txt", "ranked_lists_before.png", "generated_examples.png",
                           "camera_style_generator.pth", BEST, "metrics.jsonl")
"""Run files a run that stopped before its first saved epoch may leave (besides its own ``config.yaml``);
``best.pth`` and the first metrics row are written just before the first ``last.pth``."""


def _is_own_config(run_dir: Path) -> bool:
    """Whether ``run_dir/config.yaml`` is the resolved configuration a run into ``run_dir`` saved."""
    try:
        saved = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if not isinstance(saved, dict) or not {"data", "model", "train", "loss", "cluster"} <= set(saved):
        return False
    written_for = saved.get("output_dir")
    return isinstance(written_for, str) and Path(written_for).expanduser().resolve() == run_dir.resolve()


def _not_ours(run_dir: Path, found: list[str]) -> list[str]:
    """Files of ``found`` that no stopped run of ours leaves without a checkpoint: the user's own, or finished work."""
    return [name for name in found if name not in LEFT_BEFORE_FIRST_EPOCH
            and not (name == "config.yaml" and _is_own_config(run_dir))]


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def incompatible_keys(saved: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: saved -> new`` for every :data:`RESUME_KEYS` entry that differs."""
    old_flat, new_flat = _flatten(saved), _flatten(new)
    return [
        f"{key}: {old_flat.get(key)!r} -> {new_flat.get(key)!r}"
        for key in RESUME_KEYS
        if key in old_flat and old_flat.get(key) != new_flat.get(key)
    ]


SPEC_KEYS = {
    "backbone": "model.backbone", "last_stride_one": "model.last_stride_one", "stride_in_1x1": "model.stride_in_1x1",
    "embedding_dim": "model.embedding_dim", "gem_p": "model.gem_p", "height": "data.height", "width": "data.width",
}
"""``model_spec`` entries of a checkpoint and the configuration keys they come from."""


def _spec_changes(saved: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [f"{SPEC_KEYS.get(key, key)}: {saved[key]!r} -> {new.get(key)!r}"
            for key in saved if key in new and saved[key] != new[key]]


def _kept_work(run_dir: Path) -> list[str]:
    """The files that hold finished work: a checkpoint or a finished model."""
    kept = [name for name in (LAST, PREVIOUS, "model.pth") if (run_dir / name).exists()]
    return kept + sorted(path.name for path in run_dir.glob("model_epoch*.pth"))


def check_run_folder(
    run_dir: Path, *, resume: ResumeMode, overwrite: bool, config: dict[str, Any],
    model_spec: dict[str, Any] | None = None,
) -> bool:
    """Decide whether a run may use ``run_dir``; writes no file. Returns whether to resume.

    A folder whose run stopped before its first epoch was saved (no ``last.pth``,
    ``previous.pth`` or ``model.pth``) holds nothing to keep: a new run or ``--resume``
    starts it over. For ``--resume`` the checkpoint is read here, before any decoding
    (a damaged ``last.pth`` falls back to ``previous.pth``), and its ``model_spec`` is
    compared with ``model_spec``.

    Raises:
        ValueError: a new run into a folder holding a run (without ``--overwrite``), a
            ``--resume`` without checkpoint, a ``--resume auto`` that would replace a
            finished run, or a ``--resume`` whose configuration differs in a key of
            :data:`RESUME_KEYS` or of the checkpoint's model (all such keys are listed).
    """
    run_dir = Path(run_dir)
    check_name_lengths(run_dir, what="output_dir")
    refuse_protected_folder(run_dir, flag="output_dir")
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"output_dir={str(run_dir)!r} is a file; give a folder")
    if resume is not ResumeMode.NO and overwrite:
        raise ValueError("--resume and --overwrite contradict each other; give one of them")
    found = _holds_run(run_dir) if run_dir.is_dir() else []
    kept = _kept_work(run_dir) if run_dir.is_dir() else []
    if resume is ResumeMode.NO:
        _check_new_run(run_dir, found=found, kept=kept, overwrite=overwrite)
        return False
    point = resume_point(run_dir) if run_dir.is_dir() else None
    if point is None:
        _check_resume_without_checkpoint(run_dir, resume=resume, found=found, kept=kept)
        return False
    _check_resume_point(run_dir, point, config=config, model_spec=model_spec)
    return True


def _check_new_run(run_dir: Path, *, found: list[str], kept: list[str], overwrite: bool) -> None:
    """A new run may replace finished work or files it did not write only with ``--overwrite``."""
    if kept and not overwrite:
        raise ValueError(
            f"output_dir={str(run_dir)!r} already holds a run ({', '.join(found)}); "
            "continue it with --resume, replace it with --overwrite, or set another output_dir"
        )
    foreign = _not_ours(run_dir, found)
    if foreign and not overwrite:
        raise ValueError(
            f"output_dir={str(run_dir)!r} holds {', '.join(foreign)} but no checkpoint: files a new run would "
            "replace and did not write; set another output_dir, or give --overwrite to replace them"
        )
    if found and not overwrite:
        logger.info("%s holds a run that stopped before its first epoch was saved; starting it over", run_dir)


def _check_resume_without_checkpoint(run_dir: Path, *, resume: ResumeMode, found: list[str], kept: list[str]) -> None:
    """``--resume`` with nothing to continue from starts over, unless that would replace a finished model or the
    folder looks mistyped (``--resume required`` without even a ``config.yaml``)."""
    models = [name for name in kept if name.startswith("model")]
    if models:
        raise ValueError(
            f"output_dir={str(run_dir)!r} holds a finished run ({', '.join(models)}) but no {LAST} to continue from; "
            "starting over would replace it: use --overwrite for that, or set another output_dir"
        )
    if resume is ResumeMode.REQUIRED and not (run_dir / "config.yaml").is_file():
        raise ValueError(
            f"--resume: no checkpoint {run_dir / LAST} (is output_dir={str(run_dir)!r} mistyped?); "
            "use --resume auto to start fresh when there is none"
        )
    if found:
        logger.warning("--resume: no epoch of the run in %s was saved; starting it from epoch 0", run_dir)


def _check_resume_point(run_dir: Path, point: ResumePoint, *, config: dict[str, Any],
                        model_spec: dict[str, Any] | None) -> None:
    """The checkpoint can continue: it would not redo a finished run's last epoch, ``train.epochs`` leaves
    epochs to train, and no key of :data:`RESUME_KEYS` or of the saved model differs."""
    if point.path.name == PREVIOUS and (run_dir / "model.pth").is_file():
        raise ValueError(
            f"output_dir={str(run_dir)!r} holds a finished run (model.pth) whose {LAST} is missing or damaged; "
            f"continuing from {PREVIOUS} (epoch {point.epoch} finished) would redo epoch {point.epoch + 1} and "
            f"replace model.pth: restore {LAST}, keep the run as it is, or start over with --overwrite"
        )
    done = point.epoch + 1
    epochs = _flatten(config).get("train.epochs")
    if isinstance(epochs, int) and epochs < done:
        raise ValueError(
            f"--resume: train.epochs={epochs} is fewer than the {done} epochs the run in {run_dir} already trained "
            f"({point.path.name}); set train.epochs above {done} to train further, or use another output_dir"
        )
    saved_spec = point.state.get("model_spec") or {}
    changed = _spec_changes(saved_spec, model_spec or {})
    saved_path = run_dir / "config.yaml"
    if saved_path.is_file():
        try:
            saved = yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{saved_path}: not valid YAML ({error}); restore it or use --overwrite") from error
        changed = list(dict.fromkeys(incompatible_keys(saved, config) + changed))
    if changed:
        raise ValueError(
            f"--resume: the configuration differs from the run in {run_dir} ({point.path.name}"
            f"{' and config.yaml' if saved_path.is_file() else ''}) in {', '.join(changed)}; "
            "the checkpoint cannot continue with these; set them back or use another output_dir"
        )


def ensure_run_dir(run_dir: Path) -> Path:
    """Create ``run_dir`` and make sure files can be written in it (before any work).

    Raises:
        ValueError: naming ``output_dir`` and the reason (a name too long, a file in the
            way, no permission).
    """
    return check_writable(Path(run_dir), what="output_dir", folder=True)


def keep_finished_model(run_dir: Path, *, epochs: int) -> Path | None:
    """Before a ``--resume`` trains a finished run further, move its ``model.pth`` aside.

    ``model.pth`` of a run that finished ``E`` epochs becomes ``model_epoch{E}.pth`` when
    ``epochs > E`` (the continued run writes a new ``model.pth`` at its end), so nothing a
    run finished is replaced without ``--overwrite``. Returns the new path, or ``None``.
    """
    model = Path(run_dir) / "model.pth"
    if not model.is_file():
        return None
    finished = len(load_checkpoint(model).get("history") or [])
    if not 0 < finished < epochs:
        return None
    kept = model.with_name(f"model_epoch{finished}.pth")
    os.replace(model, kept)
    logger.warning("--resume continues a finished run (%d epochs) to %d epochs: its model is kept as %s",
                   finished, epochs, kept)
    return kept


def clear_run_files(run_dir: Path) -> list[str]:
    """Delete the files a run writes (for ``--overwrite``); returns their names."""
    removed = _holds_run(Path(run_dir)) + sorted(p.name for pattern in ("model_epoch*.pth", "epoch_[0-9]*.pth")
                                                 for p in Path(run_dir).glob(pattern))
    if removed:
        logger.warning("--overwrite: deleting %s from %s", ", ".join(removed), run_dir)
    for name in removed:
        (Path(run_dir) / name).unlink()
    return removed


def remove_stale_temp_files(run_dir: Path) -> list[str]:
    """Delete temporary files of interrupted checkpoint writes (``.last.pth.*``, ``.model.pth.*``)."""
    removed = []
    for path in sorted(Path(run_dir).glob(".*.pth.*")):
        if path.is_file():
            path.unlink()
            removed.append(path.name)
    if removed:
        logger.info("removed %d temporary file(s) of interrupted writes: %s", len(removed), ", ".join(removed))
    return removed


class RunLock:
    """An exclusive ``run.lock`` in the run folder for the lifetime of a ``with`` block.

    The exclusion is an OS file lock (:class:`filelock.FileLock`, ``flock`` on Unix), which
    the kernel releases when the holding process ends, however it ends (``kill -9``
    included): a lock file left behind is free and simply taken again. The holder writes
    ``<pid> <hostname>`` into the file, so a refused run can name it; the file is removed
    before the lock is released.

    Raises:
        ValueError: on entry, when another live process holds the lock (its pid is named).
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self._lock = FileLock(self.path, timeout=0)

    def _holder(self) -> tuple[str, str]:
        try:
            pid, host = (self.path.read_text(encoding="utf-8").split() + ["?", "?"])[:2]
        except OSError:
            pid, host = "?", "?"
        return pid, host

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            pid, host = self._holder()
            raise ValueError(
                f"{self.path}: another run (process {pid} on {host}) is using output_dir={str(self.path.parent)!r}; "
                "wait for it or set another output_dir"
            ) from None
        with open(self.path, "w", encoding="utf-8") as handle:  # the file, not the lock: the OS holds that
            handle.write(f"{os.getpid()} {socket.gethostname()}\n")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._lock.is_locked:
            self.path.unlink(missing_ok=True)  # while still held: no other run has taken it yet
            self._lock.release()
