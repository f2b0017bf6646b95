"""Named plug-ins: one table per plug-in point, filled by a decorator (timm's ``register_model`` is the model).

Optimizers, learning-rate schedulers, batch samplers, memories, loss levels and ImageNet
weights are each looked up by name in a :class:`Registry`; the configuration names the
entry, and a new one is a function (or class) in a module of its own, decorated with the
registry's ``register(name)``. An unknown name is a ``ValueError`` that lists the registered
names and the option that asked for it, so a typo never reaches the training loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by name, in registration order.

    Args:
        kind: what an entry is, as messages name it (``"optimizer"``).
        option: the configuration key that chooses an entry (``"train.optimizer"``; ``""``: none).

    Example:
        >>> SHAPES: Registry[Callable[[], str]] = Registry("shape", option="draw.shape")
        >>> @SHAPES.register("dot")
        ... def dot() -> str:
        ...     return "."
        >>> SHAPES["dot"]()
        '.'
        >>> SHAPES["line"]
        Traceback (most recent call last):
        ValueError: unknown shape 'line' (draw.shape); registered: dot
    """

    def __init__(self, kind: str, *, option: str = "") -> None:
        self.kind, self.option = kind, option
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator adding the decorated object as ``name``; a name is registered once."""

        def add(entry: T) -> T:
            self.add(name, entry)
            return entry

        return add

    def add(self, name: str, entry: T) -> None:
        """Register ``entry`` as ``name`` (what :meth:`register` does; for decorators that wrap the object)."""
        if not name or name != name.strip() or "," in name:
            raise ValueError(f"{self.kind} name {name!r}: give a non-empty name without commas or outer spaces")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered ({self._entries[name]!r})")
        self._entries[name] = entry
        logger.debug("registered %s %r", self.kind, name)

    def unregister(self, name: str) -> T:
        """Remove ``name`` and return its entry (tests that register a plug-in for a while)."""
        entry = self[name]
        del self._entries[name]
        return entry

    @contextmanager
    def temporarily(self, name: str, entry: T) -> Iterator[T]:
        """``entry`` registered as ``name`` inside the ``with`` block and removed after it, also on an error
        (a test's plug-in)."""
        self.add(name, entry)
        try:
            yield entry
        finally:
            self._entries.pop(name, None)

    def __getitem__(self, name: str) -> T:
        """The entry registered as ``name``; ``ValueError`` listing the registered names otherwise."""
        if name not in self._entries:
            asked = f" ({self.option})" if self.option else ""
            raise ValueError(f"unknown {self.kind} {name!r}{asked}; registered: {', '.join(self._entries) or 'none'}")
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        """The registered names, in registration order."""
        return tuple(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
