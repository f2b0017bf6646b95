"""The loss levels: one module each, registered by name (see :mod:`unreid.losses.levels.registry`).

Importing this package registers the built-in levels. The order of the imports below is the
order of the terms in the total and in the logs (float sums depend on it): keep it, and
import a new level's module after them.
"""

from unreid.losses.levels import centroid as centroid

# isort: split
from unreid.losses.levels import intra as intra

# isort: split
from unreid.losses.levels import inter as inter

# isort: split
from unreid.losses.levels.registry import LEVELS, LossLevel, level_names, level_weights, register_level

__all__ = ["LEVELS", "LossLevel", "centroid", "inter", "intra", "level_names", "level_weights", "register_level"]
