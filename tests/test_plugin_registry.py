"""The registry behind every plug-in point: decorator, lookup in registration order, clear errors."""

from __future__ import annotations

import doctest
from collections.abc import Callable

import pytest

import unreid.registry
from unreid.registry import Registry


def test_register_look_up_and_unregister_in_registration_order() -> None:
    shapes: Registry[Callable[[], str]] = Registry("shape", option="draw.shape")

    @shapes.register("line")
    def line() -> str:
        return "-"

    shapes.add("dot", lambda: ".")
    assert shapes.names() == ("line", "dot") and list(shapes) == ["line", "dot"] and len(shapes) == 2
    assert "dot" in shapes and "cross" not in shapes and shapes["line"] is line and line() == "-"
    assert shapes.unregister("dot")() == "." and shapes.names() == ("line",)


def test_unknown_duplicate_and_malformed_names_are_refused_with_the_valid_ones() -> None:
    shapes: Registry[int] = Registry("shape", option="draw.shape")
    shapes.add("line", 1)
    with pytest.raises(ValueError, match=r"^unknown shape 'cross' \(draw.shape\); registered: line$"):
        shapes["cross"]
    with pytest.raises(ValueError, match=r"^unknown shape 'cross'; registered: none$"):
        Registry[int]("shape")["cross"]
    with pytest.raises(ValueError, match=r"^shape 'line' is already registered \(1\)$"):
        shapes.add("line", 2)
    for bad in ("", " line", "a,b"):
        with pytest.raises(ValueError, match="non-empty name without commas"):
            shapes.add(bad, 3)
    with pytest.raises(ValueError, match="unknown shape 'cross'"):
        shapes.unregister("cross")


def test_temporarily_registers_inside_the_block_only_also_when_it_fails() -> None:
    shapes: Registry[int] = Registry("shape")
    with shapes.temporarily("dot", 1) as entry:
        assert entry == 1 and shapes["dot"] == 1
    assert "dot" not in shapes
    with pytest.raises(RuntimeError, match="inside"), shapes.temporarily("dot", 2):
        raise RuntimeError("inside")
    assert shapes.names() == ()
    shapes.add("dot", 3)
    with pytest.raises(ValueError, match="already registered"), shapes.temporarily("dot", 4):
        pass
    assert shapes["dot"] == 3  # a refused name leaves the registered entry alone


def test_the_module_example_runs() -> None:
    result = doctest.testmod(unreid.registry)
    assert result.attempted > 0 and result.failed == 0
