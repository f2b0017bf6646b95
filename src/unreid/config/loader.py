"""Fill a :class:`~unreid.config.schema.RunConfig` from YAML files and ``--set key=value`` overrides.

Values are coerced by each field's type annotation (``bool``, ``int``, ``float``, ``str``,
an ``Enum``), so a choice is checked the moment it is read and the message lists the
valid values. The resolved configuration is written as ``config.yaml`` next to the
run's checkpoints; that file loads back unchanged.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from unreid.config.schema import RunConfig

RENAMED: dict[str, str] = {}
"""Old dotted key -> new dotted key; an old key is refused with a message naming the new one."""


_TYPES: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """The resolved annotations of a section dataclass (cached: they never change)."""
    if cls not in _TYPES:
        _TYPES[cls] = typing.get_type_hints(cls)
    return _TYPES[cls]


def _coerce_enum(value: Any, kind: type[Enum], key: str) -> Enum:
    try:
        return kind(value.value if isinstance(value, Enum) else value)
    except ValueError:
        raise ValueError(f"{key}={value!r}: valid values are {', '.join(str(m.value) for m in kind)}") from None


def _coerce_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{key}: expected true/false, got {value!r}")


def _coerce_number(value: Any, kind: type[int] | type[float], key: str) -> int | float:
    """``value`` as ``kind``; ``True``/``False`` and a fractional value for an ``int`` are refused."""
    if isinstance(value, bool) or (kind is int and isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"{key}: expected {'an integer' if kind is int else 'a number'}, got {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{key}: expected {'an integer' if kind is int else 'a number'}, got {value!r}") from error


def _coerce(value: Any, kind: Any, key: str) -> Any:
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _coerce_enum(value, kind, key)
    if kind is bool:
        return _coerce_bool(value, key)
    if kind in (int, float):
        return _coerce_number(value, kind, key)
    if value is None and kind is str:  # YAML reads ~ and null as nothing: never the text "None"
        raise ValueError(f"{key}: no value (YAML reads ~ and null as nothing); give a text, quoted when it starts "
                         f"with ~, e.g. {key}='~/runs/my-run'")
    return str(value)


def _apply(obj: Any, values: dict[str, Any], prefix: str = "") -> list[str]:
    """Set ``values`` on the section ``obj``; returns every problem found (the good values are set)."""
    types = _field_types(type(obj))
    problems = []
    for key, value in values.items():
        full = f"{prefix}{key}"
        if full in RENAMED:
            problems.append(f"config key {full!r} was renamed to {RENAMED[full]!r}; use that name")
        elif key not in types:
            close = difflib.get_close_matches(key, list(types), n=3)
            hint = f"did you mean {', '.join(prefix + c for c in close)}? " if close else ""
            problems.append(f"unknown config key {full!r}; {hint}valid keys here: {sorted(types)}")
        elif dataclasses.is_dataclass(current := getattr(obj, key)):
            if isinstance(value, dict):
                problems += _apply(current, value, prefix=f"{full}.")
            else:
                problems.append(f"{full}: expected a mapping of {sorted(_field_types(type(current)))}")
        else:
            try:
                setattr(obj, key, _coerce(value, types[key], full))
            except ValueError as error:
                problems.append(str(error))
    return problems


def packaged_configs() -> list[str]:
    """Names of the configs shipped with unreid (``--config market1501``)."""
    return sorted(p.name[: -len(".yaml")] for p in resources.files("unreid.configs").iterdir() if p.name.endswith(".yaml"))


def resolve_config_file(path: Path | str) -> Path:
    """A YAML file path, or the name of a packaged config (``market1501``, ``synthetic_cpu``, ...)."""
    candidate = Path(path).expanduser()
    if candidate.is_file():
        return candidate
    name = str(path)[: -len(".yaml")] if str(path).endswith(".yaml") else str(path)
    if name in packaged_configs():
        return Path(str(resources.files("unreid.configs") / f"{name}.yaml"))
    raise ValueError(f"{path}: config file not found (packaged configs: {', '.join(packaged_configs())})")


def read_config_file(path: Path | str) -> dict[str, Any]:
    """The mapping of one YAML config file (a path or a packaged name)."""
    path = resolve_config_file(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(values, dict):
        raise ValueError(f"{path}: the top level must be a mapping of sections (data, model, ...)")
    return values


def parse_override(item: str) -> dict[str, Any]:
    """``"train.epochs=10"`` -> ``{"train": {"epochs": 10}}`` (the value read as YAML)."""
    if "=" not in item:
        raise ValueError(f"--set {item!r}: expected section.key=value, e.g. train.epochs=10")
    dotted, raw = item.split("=", 1)
    nested: dict[str, Any] = {}
    cursor = nested
    parts = dotted.strip().split(".")
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = yaml.safe_load(raw) if raw.strip() else raw
    return nested


def load_config(
    *, files: list[Path] | None = None, overrides: list[str] | None = None, base: dict[str, Any] | None = None
) -> RunConfig:
    """Defaults, then ``base``, then YAML ``files``, then ``key=value`` ``overrides``.

    Raises:
        ValueError: listing every unknown key and every value of the wrong type or choice at once.
    """
    config = RunConfig()
    problems = _apply(config, base or {})
    for path in files or []:
        problems += [f"{path}: {problem}" for problem in _apply(config, read_config_file(path))]
    for item in overrides or []:
        problems += [f"--set {problem}" for problem in _apply(config, parse_override(item))]
    if problems:
        raise ValueError("invalid configuration: " + "; ".join(problems))
    return config


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def config_to_dict(config: Any) -> dict[str, Any]:
    """A config (or one section) as plain YAML/JSON values (enums as their names)."""
    return typing.cast(dict[str, Any], _plain(dataclasses.asdict(config)))


def save_config(config: RunConfig, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(yaml.safe_dump(config_to_dict(config), sort_keys=False), encoding="utf-8")
