"""nn_core: a from-scratch NumPy multi-layer perceptron.

``MLP`` is the network (forward pass, backpropagation, mini-batch training
with SGD, Momentum, AdaGrad, RMSProp and Adam); ``MLPClassifier`` wraps it as
a scikit-learn estimator; ``datasets`` loads the bundled 8x8 digits and MNIST;
``preprocess`` turns a canvas drawing into the network's input. Nothing here
knows about the user interface.
"""

from .network import MLP, History

__all__ = ["MLP", "History", "MLPClassifier"]
__version__ = "0.1.0"


def __getattr__(name):
    # The estimator pulls in scikit-learn: import it only when asked for.
    if name == "MLPClassifier":
        from .estimator import MLPClassifier

        return MLPClassifier
    raise AttributeError(f"module 'nn_core' has no attribute {name!r}")
