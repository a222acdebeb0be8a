"""params.yaml as typed, validated config: the only way code reads a knob.

params.py holds the models (what each knob is and its bounds), loading.py reads and validates
the file, profiles.py resolves a profile into the RunConfig a run uses.
"""

from artifact.config.loading import deep_merge, load_params, parse_params
from artifact.config.params import (
    DataConfig,
    DatasetName,
    ExtendedConfig,
    Method,
    MetricsConfig,
    ModelConfig,
    Params,
    PathsConfig,
    ProfileConfig,
    ProfileName,
    RevivalConfig,
    RunConfig,
    Stage1Config,
    Stage2Config,
    Stage3Config,
    TrainConfig,
)
from artifact.config.profiles import resolve

__all__ = [
    "DataConfig",
    "DatasetName",
    "ExtendedConfig",
    "MetricsConfig",
    "Method",
    "ModelConfig",
    "Params",
    "PathsConfig",
    "ProfileConfig",
    "ProfileName",
    "RevivalConfig",
    "RunConfig",
    "Stage1Config",
    "Stage2Config",
    "Stage3Config",
    "TrainConfig",
    "deep_merge",
    "load_params",
    "parse_params",
    "resolve",
]
