"""The run configuration: one typed definition per option (:mod:`.schema`), read by the
YAML / ``--set`` loader (:mod:`.loader`), the validator (:mod:`.validation`) and the engine."""

from unreid.config.loader import config_to_dict, load_config, packaged_configs, resolve_config_file, save_config
from unreid.config.schema import (
    ClusterConfig,
    DataConfig,
    EvalConfig,
    GeneratorConfig,
    GeneratorTrainingConfig,
    LossConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
)

__all__ = [
    "ClusterConfig", "DataConfig", "EvalConfig", "GeneratorConfig", "GeneratorTrainingConfig", "LossConfig",
    "ModelConfig", "RunConfig", "TrainConfig", "config_to_dict", "load_config", "packaged_configs",
    "resolve_config_file", "save_config",
]
