"""Draw ``training_curves.png`` off the training loop's critical path.

Plotting a dozen curves with matplotlib takes about a second, every epoch. The trainer
asks for a new plot after each epoch and goes on; one worker thread draws the latest
request (older ones are dropped, the file always shows the newest metrics), and
:meth:`BackgroundPlotter.close` waits for the last plot before the run returns.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from unreid.engine.run_log import plot_metrics

logger = logging.getLogger(__name__)


class BackgroundPlotter:
    """One daemon thread that redraws a run folder's training curves on request."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = False
        self._thread = threading.Thread(target=self._work, name="unreid-plotter", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a redraw from the metrics on disk (returns at once)."""
        self._idle.clear()
        self._wanted.set()

    def close(self, timeout: float = 60.0) -> None:
        """Finish the pending redraw, then stop the thread."""
        self._idle.wait(timeout)
        self._stop = True
        self._wanted.set()
        self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stop:
                return
            try:
                plot_metrics(self.run_dir)
            except Exception as error:  # a plot must never end a training run
                logger.warning("could not draw the training curves in %s: %s", self.run_dir, error)
            if not self._wanted.is_set():
                self._idle.set()
