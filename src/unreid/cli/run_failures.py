"""Turn the ways a long run can stop into one clear line that says what was kept.

Ctrl-C, SIGTERM (a scheduler's time limit), running out of memory or disk, and a
:class:`~unreid.engine.training_failure.TrainingFailure` (no clusters, a NaN loss) each
end the command with :class:`RunStopped`, whose message names the cause, the last good
checkpoint and how to continue. Checkpoints are written atomically, so whatever was on
disk before the failure is intact.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from unreid.engine.training_failure import TrainingFailure

logger = logging.getLogger(__name__)


class RunStopped(RuntimeError):
    """A run ended early; the message is one line for the user."""


def _next_step(run_dir: Path, fix: str = "") -> str:
    """What was kept and how to go on: the end of the one-line message (``fix``: what to change first)."""
    from unreid.engine.checkpoint import LAST, PREVIOUS, load_checkpoint

    for name in (LAST, PREVIOUS):
        path = run_dir / name
        if not path.is_file():
            continue
        try:
            epoch = int(load_checkpoint(path, required=("epoch",))["epoch"])
        except ValueError:  # damaged: --resume falls back to the other one or says what to do
            continue
        return f"last good checkpoint: {path} (epoch {epoch} finished); {fix}resume with --resume"
    return f"no finished epoch was saved in {run_dir}; {fix}run the same command again to start over"


def _disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` or an error it was raised from means "No space left on device"."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(error):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


_WRITE_ERRORS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG, errno.ENOTDIR, errno.EDQUOT,
                           errno.EIO})


def _unwritable(error: BaseException | None) -> OSError | None:
    """The ``OSError`` of a file write that failed for lack of permission, a read-only disk or a bad path."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OSError) and error.errno in _WRITE_ERRORS and error.filename:
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_cleanly(run_dir: Path) -> Iterator[None]:
    """Run the block with SIGTERM treated like Ctrl-C, and failures turned into :class:`RunStopped`."""
    import torch  # here, not at the top: ``unreid.cli.main`` imports this module and must work without torch

    run_dir = Path(run_dir)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if main_thread else None
    try:
        yield
    except KeyboardInterrupt as error:
        name = str(error) or "SIGINT"
        raise RunStopped(f"interrupted ({name}); {_next_step(run_dir)}") from None
    except TrainingFailure as error:
        raise RunStopped(f"{error}; {_next_step(run_dir, 'fix the setting, then ')}") from None
    except torch.OutOfMemoryError as error:
        first = str(error).splitlines()[0] if str(error) else "CUDA out of memory"
        raise RunStopped(
            f"out of GPU memory ({first[:120]}); lower train.num_identities x train.num_instances or eval.batch_size, "
            f"or set data.device_resident=false; {_next_step(run_dir)}"
        ) from None
    except MemoryError:
        raise RunStopped(
            f"out of memory; lower eval.batch_size or data.max_train_images, or use cluster.method=sparse; "
            f"{_next_step(run_dir)}"
        ) from None
    except (OSError, RuntimeError) as error:
        unwritable = _unwritable(error)
        if unwritable is not None:
            raise RunStopped(
                f"cannot write {unwritable.filename or run_dir} ({unwritable.strerror or unwritable}); "
                f"{_next_step(run_dir, f'make {run_dir} writable (or free it), then ')}"
            ) from None
        if not _disk_full(error):
            raise
        where = f" while writing {error.filename}" if isinstance(error, OSError) and error.filename else ""
        raise RunStopped(
            f"disk full: No space left on device{where}; {_next_step(run_dir, f'free space under {run_dir}, then ')}"
        ) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
