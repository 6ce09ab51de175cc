"""nn_core: a from-scratch NumPy multi-layer perceptron.

``MLP`` is the network (forward pass, backpropagation, mini-batch training
with SGD, Momentum, AdaGrad, RMSProp and Adam); ``MLPClassifier`` and
``MLPRegressor`` wrap it as drop-ins for scikit-learn's MLP estimators;
``datasets`` loads the bundled 8x8 digits and MNIST; ``preprocess`` turns a
canvas drawing into the network's input. Nothing here knows about the user
interface.
"""

from .network import MLP, History

__all__ = ["MLP", "History", "MLPClassifier", "MLPRegressor"]
__version__ = "0.1.0"


def __getattr__(name):
    # The estimators pull in scikit-learn: import them only when asked for.
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'nn_core' has no attribute {name!r}")
