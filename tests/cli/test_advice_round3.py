"""Advice that blames the right setting: an address not on this machine, a temperature too small."""

from __future__ import annotations

import errno
import socket

import pytest
import torch

from unreid.cli.serve_command import bind_failure
from unreid.engine.failure_hints import divergence_fix, weights_problem


def test_an_address_not_on_this_machine_is_blamed_not_the_port() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(("10.255.255.1", 0))
    except OSError as error:
        message = bind_failure(host="10.255.255.1", port=8000, error=error)
    else:
        pytest.skip("10.255.255.1 is an address of this machine")
    finally:
        probe.close()
    assert "10.255.255.1 is not an address of this machine" in message and "--host 127.0.0.1" in message
    assert "another --port" not in message


def test_a_taken_port_is_blamed_on_the_port() -> None:
    message = bind_failure(host="127.0.0.1", port=80, error=OSError(errno.EADDRINUSE, "Address already in use"))
    assert "choose another --port" in message


def test_a_tiny_temperature_is_blamed_not_the_learning_rate() -> None:
    assert divergence_fix(lr=3.5e-4, temperature=1e-30).startswith("loss.temperature=1e-30 is too small")
    assert divergence_fix(lr=3.5e-4, temperature=0.05) == "lower train.lr (now 0.00035)"
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.fill_(float("inf"))
    message = weights_problem(model, epoch=0, lr=3.5e-4, temperature=1e-30)
    assert message is not None and "loss.temperature=1e-30 is too small" in message and "train.lr" not in message
