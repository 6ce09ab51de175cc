"""nn_core: a from-scratch NumPy multi-layer perceptron.

``MLP`` is the network (forward pass, backpropagation, mini-batch training
with SGD, Momentum, AdaGrad, RMSProp and Adam); ``MLPClassifier`` and
``MLPRegressor`` wrap it as drop-ins for scikit-learn's MLP estimators;
``Recipe`` (``recipe``) turns a training config into a network and its trainer, the one
way the app, the sweeps and the benchmarks build them; ``sweep`` trains many configs,
locally or on Dask. Nothing here knows about
the user interface.

The engine is the top level (``network``, ``activations``, ``optimizers``,
``trainer``, ``recipe``, ``checks``, ``model_io``); two sub-packages sit beside it: ``nn_core.data``
(``datasets``: the bundled 8x8 digits and MNIST; ``datasets2d``) and
``nn_core.drawings`` (``preprocess``, ``strokes``, ``explain``, ``novelty``,
``personal``: a trained network meets a drawn digit).
"""

from .network import MLP, History
from .recipe import Recipe

__all__ = ["MLP", "History", "MLPClassifier", "MLPRegressor", "Recipe", "datasets"]
__version__ = "0.1.0"


def __getattr__(name):
    # The estimators pull in scikit-learn: import them only when asked for.
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import estimator

        return getattr(estimator, name)
    if name == "datasets":
        # ``from nn_core import datasets`` keeps working; the module lives in nn_core.data.
        from .data import datasets

        return datasets
    raise AttributeError(f"module 'nn_core' has no attribute {name!r}")
