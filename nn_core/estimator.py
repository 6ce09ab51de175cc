"""``MLPClassifier``: the from-scratch ``nn_core.MLP`` as a scikit-learn estimator.

What it is for: putting the playground's own network into the scikit-learn
tool chain (``Pipeline``, ``cross_val_score``, ``GridSearchCV``, ``clone``,
pickling), and comparing it with ``sklearn.neural_network.MLPClassifier``
under the same parameter names. The network, its training loop and its
optimizers are the engine's (``nn_core.network``); this module only
validates inputs, maps labels to ``0..n_classes-1``, decides when to stop and
exposes the results under scikit-learn's names.

What it trades away, compared with scikit-learn's own ``MLPClassifier``:

* Dense input only (no sparse matrices), single-label targets only (no
  multi-label indicator matrices), no ``sample_weight``, no ``warm_start``,
  no ``lbfgs`` solver and no learning-rate schedules: the engine has none of
  them. The solvers are the engine's (``sgd``, ``momentum``, ``adagrad``,
  ``rmsprop``, ``adam``) with the engine's fixed hyperparameters.
* The output layer is always a softmax, also for two classes (scikit-learn
  uses one logistic unit there); the probabilities are the same model.
* ``alpha`` is the engine's ``l2``: the loss of a batch is its mean
  cross-entropy plus ``alpha / 2 * sum(||W||^2)``. scikit-learn divides that
  penalty by the batch size, so the same ``alpha`` regularises more here.
* A fit whose loss becomes non-finite does not raise: the engine keeps the
  last weights whose loss was finite and this wrapper emits a
  ``ConvergenceWarning`` saying so.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .activations import ACTIVATIONS
from .network import MLP, History
from .optimizers import OPTIMIZERS

#: scikit-learn's activation names mapped to the engine's ("logistic" is our "sigmoid").
_ACTIVATION_ALIASES: dict[str, str] = {"logistic": "sigmoid", **{name: name for name in ACTIVATIONS}}
_DTYPES = (np.float64, np.float32)  # float32 stays float32, anything else becomes float64


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier trained by ``nn_core.MLP``.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units in each hidden layer; ``()`` gives no hidden layer (softmax regression).
    activation : {"relu", "tanh", "logistic", "sigmoid", "identity", "leaky_relu"}, default="relu"
        Hidden-layer activation; "logistic" (scikit-learn's name) is "sigmoid".
    solver : {"adam", "sgd", "momentum", "adagrad", "rmsprop"}, default="adam"
    alpha : float, default=1e-4
        L2 penalty on the weights (not the biases), ``alpha / 2 * sum(||W||^2)``
        added to each batch's mean loss (not divided by the batch size).
    batch_size : int or "auto", default="auto"
        "auto" is ``min(200, n_samples)``; larger values are clipped with a warning.
    learning_rate_init : float, default=1e-3
    max_iter : int, default=200
        Maximum number of epochs of ``fit``.
    shuffle : bool, default=True
        Reshuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the batch order and the early-stopping split.
        An int is passed to the engine as its ``seed`` unchanged.
    tol : float, default=1e-4
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified
        when every class can have a sample on both sides), stop on its
        accuracy instead of the training loss, and keep the weights of the
        epoch with the best validation accuracy. ``fit`` only: ``partial_fit``
        refuses it, as scikit-learn does.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
        Training stops once the training loss (or, with early stopping, the
        validation accuracy) has failed to improve by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs, as in scikit-learn.
        Reaching ``max_iter`` first emits a ``ConvergenceWarning``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,), only when X had string column names
    model_ : nn_core.MLP
        The trained network; its output unit ``k`` is ``classes_[k]``.
    loss_curve_ : list of float
        Training loss per epoch (including the L2 penalty), since the last ``fit``.
    n_iter_ : int
        Epochs trained since the last ``fit`` (``partial_fit`` adds one each call);
        always ``len(loss_curve_)``.
    best_loss_ : float or None
        Lowest training loss seen by ``fit``; None with early stopping.
    validation_scores_ : list of float or None
        Validation accuracy per epoch with early stopping, else None.
    best_validation_score_ : float or None
    coefs_, intercepts_ : list of ndarray
        Weight matrices ``(n_in, n_out)`` and bias vectors per layer: live views
        of ``model_``'s parameters, as in scikit-learn (writing to them changes the model).
    """

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate_init: float = 1e-3,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    # ------------------------------------------------------------ fitted views
    @property
    def coefs_(self) -> list[np.ndarray]:
        return list(self._fitted_model("coefs_").weights)

    @property
    def intercepts_(self) -> list[np.ndarray]:
        return list(self._fitted_model("intercepts_").biases)

    def _fitted_model(self, attribute: str) -> MLP:
        try:
            return self.model_
        except AttributeError:
            # Still an AttributeError, so that hasattr() is False before fit.
            raise AttributeError(
                f"{type(self).__name__} has no {attribute} before fit or partial_fit"
            ) from None

    # -------------------------------------------------------------- training
    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train a new network on ``(X, y)`` for at most ``max_iter`` epochs; returns ``self``.

        Emits a ``ConvergenceWarning`` if ``max_iter`` is reached before the
        stopping rule fires, or if the loss became non-finite (the model then
        keeps the last weights whose loss was finite).
        """
        params = self._checked_params()
        X, y = validate_data(self, X, y, dtype=_DTYPES)
        check_classification_targets(y)
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        y_encoded = self._label_encoder.transform(y)

        rng = check_random_state(self.random_state)
        validation_data = None
        if self.early_stopping:
            X, X_val, y_encoded, y_val = train_test_split(
                X, y_encoded, test_size=self.validation_fraction,
                random_state=self._split_seed(rng),
                stratify=y_encoded if self._can_stratify(y_encoded) else None,
            )
            validation_data = (X_val, y_val)

        self.model_ = self._new_model(X.shape[1], X.dtype, params["hidden"], params["activation"], rng)
        self.loss_curve_ = []
        self.n_iter_ = 0
        self.best_loss_ = None if self.early_stopping else math.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -math.inf if self.early_stopping else None

        stopper = _NoImprovement(self, self.model_)
        history = self.model_.fit(
            X, y_encoded,
            epochs=params["max_iter"],
            batch_size=self._resolve_batch_size(X.shape[0]),
            optimizer=params["solver"],
            learning_rate=params["learning_rate_init"],
            l2=params["alpha"],
            validation_data=validation_data,
            callback=stopper,
            shuffle=bool(self.shuffle),
        )
        if self.early_stopping:
            stopper.restore_best()
        self._record(history)
        if history.diverged:
            self._warn_diverged(history)
        elif not history.stopped:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({params['max_iter']}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """Train one epoch on ``(X, y)``, continuing from the current weights; returns ``self``.

        ``classes`` (every label that will ever be seen) is required on the first
        call; ``y`` need not contain all of them. After ``fit``, ``partial_fit``
        continues that model, and ``classes`` may be omitted.
        """
        params = self._checked_params()
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_call = not hasattr(self, "model_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        if not first_call and classes is not None:
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.unique(classes)!r} is not the same as on the first call, "
                    f"classes_={self.classes_!r}"
                )
        X, y = validate_data(self, X, y, dtype=_DTYPES, reset=first_call)
        check_classification_targets(y)
        if first_call:
            check_classification_targets(np.asarray(classes))
            self._label_encoder = LabelEncoder().fit(classes)
            self.classes_ = self._label_encoder.classes_
        try:
            y_encoded = self._label_encoder.transform(y)
        except (ValueError, TypeError):
            raise ValueError(
                f"y has labels that are not in classes_={self.classes_!r}: "
                f"{np.setdiff1d(np.unique(y), self.classes_)!r}"
            ) from None

        if first_call:
            rng = check_random_state(self.random_state)
            self.model_ = self._new_model(
                X.shape[1], X.dtype, params["hidden"], params["activation"], rng
            )
            self.loss_curve_ = []
            self.n_iter_ = 0
            self.best_loss_ = math.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None
        history = self.model_.fit(
            X, y_encoded,
            epochs=1,
            batch_size=self._resolve_batch_size(X.shape[0]),
            optimizer=params["solver"],
            learning_rate=params["learning_rate_init"],
            l2=params["alpha"],
            shuffle=bool(self.shuffle),
        )
        self._record(history)
        if history.loss and self.best_loss_ is not None:
            self.best_loss_ = min(self.best_loss_, history.loss[-1])
        if history.diverged:
            self._warn_diverged(history)
        return self

    # ------------------------------------------------------------ prediction
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n_samples, n_classes)``, columns in the order of ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_DTYPES)
        return self.model_.predict_proba(X)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Natural log of ``predict_proba`` (``-inf`` where a probability is exactly 0)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, ``(n_samples,)``, taken from ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_DTYPES)
        return self.classes_.take(self.model_.predict(X))

    # --------------------------------------------------------------- helpers
    def _checked_params(self) -> dict[str, Any]:
        """The parameters, validated and normalised; raises ``ValueError`` naming the bad one."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            hidden = tuple(sizes)
        except TypeError:
            hidden = None
        if hidden is None or any(
            isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in hidden
        ):
            raise ValueError(
                "hidden_layer_sizes must be a positive integer or a sequence of positive "
                f"integers such as (100,) or (64, 32); got {self.hidden_layer_sizes!r}"
            )
        activation = self.activation
        if not isinstance(activation, str) or activation not in _ACTIVATION_ALIASES:
            raise ValueError(
                f"activation must be one of {', '.join(sorted(_ACTIVATION_ALIASES))}; "
                f"got {activation!r}"
            )
        if not isinstance(self.solver, str) or self.solver not in OPTIMIZERS:
            raise ValueError(
                f"solver must be one of {', '.join(sorted(OPTIMIZERS))}; got {self.solver!r}"
            )
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            _check_int("batch_size", self.batch_size, low=1, extra=' or "auto"')
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise ValueError(f"shuffle must be True or False; got {self.shuffle!r}")
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise ValueError(f"early_stopping must be True or False; got {self.early_stopping!r}")
        fraction = _check_float("validation_fraction", self.validation_fraction, low=0.0)
        if self.early_stopping and not 0.0 < fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1); got {fraction!r}")
        _check_int("n_iter_no_change", self.n_iter_no_change, low=1)
        _check_float("tol", self.tol, low=0.0)
        learning_rate = _check_float("learning_rate_init", self.learning_rate_init, low=0.0)
        if learning_rate == 0.0:
            raise ValueError("learning_rate_init must be positive; got 0")
        return {
            "hidden": hidden,
            "activation": _ACTIVATION_ALIASES[activation],
            "solver": self.solver,
            "alpha": _check_float("alpha", self.alpha, low=0.0),
            "learning_rate_init": learning_rate,
            "max_iter": _check_int("max_iter", self.max_iter, low=1),
        }

    def _new_model(
        self, n_features: int, dtype: np.dtype, hidden: tuple[int, ...], activation: str,
        rng: np.random.RandomState,
    ) -> MLP:
        if self.random_state is None:
            seed = None
        elif isinstance(self.random_state, numbers.Integral):
            seed = int(self.random_state)  # already checked by check_random_state
        else:
            seed = int(rng.randint(np.iinfo(np.int32).max))
        n_outputs = len(self.classes_)  # one class: one always-certain softmax unit
        return MLP([n_features, *hidden, n_outputs], activation=activation, seed=seed, dtype=dtype)

    def _split_seed(self, rng: np.random.RandomState) -> int | np.random.RandomState:
        return int(self.random_state) if isinstance(self.random_state, numbers.Integral) else rng

    def _can_stratify(self, y: np.ndarray) -> bool:
        """Whether a stratified split is possible: else the split is a plain random one."""
        n_samples, n_classes = y.shape[0], len(self.classes_)
        n_val = math.ceil(self.validation_fraction * n_samples)
        return (
            int(np.bincount(y).min()) >= 2
            and n_val >= n_classes
            and n_samples - n_val >= n_classes
        )

    def _resolve_batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} samples; "
                f"using batch_size={n_samples}",
                UserWarning,
                stacklevel=3,
            )
        return min(int(self.batch_size), n_samples)

    def _record(self, history: History) -> None:
        self.loss_curve_.extend(float(loss) for loss in history.loss)
        self.n_iter_ = len(self.loss_curve_)

    @staticmethod
    def _warn_diverged(history: History) -> None:
        epoch, batch = history.diverged_at or (0, 0)
        warnings.warn(
            f"Training diverged: the loss became NaN or infinite at epoch {epoch}, "
            f"batch {batch}, so training stopped there and the model keeps the last "
            "weights whose loss was finite. Try a smaller learning_rate_init, or scale "
            "the features (e.g. StandardScaler).",
            ConvergenceWarning,
            stacklevel=3,
        )


class _NoImprovement:
    """``MLP.fit`` callback: stop once the monitored value stalls, as scikit-learn's MLP does.

    Without early stopping it watches the training loss (lower is better);
    with it, the validation accuracy (higher is better), and it snapshots the
    best weights so that ``restore_best`` can put them back at the end.
    """

    def __init__(self, estimator: MLPClassifier, model: MLP) -> None:
        self.estimator = estimator
        self.model = model
        self.tol = float(estimator.tol)
        self.patience = int(estimator.n_iter_no_change)
        self.count = 0
        self.best_weights: list[np.ndarray] | None = None
        self.best_biases: list[np.ndarray] | None = None

    def __call__(self, epoch: int, history: History) -> bool:
        est = self.estimator
        if est.early_stopping:
            score = float(history.val_accuracy[-1])
            est.validation_scores_.append(score)
            self.count = self.count + 1 if score < est.best_validation_score_ + self.tol else 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                self.best_weights = [w.copy() for w in self.model.weights]
                self.best_biases = [b.copy() for b in self.model.biases]
        else:
            loss = float(history.loss[-1])
            self.count = self.count + 1 if loss > est.best_loss_ - self.tol else 0
            est.best_loss_ = min(est.best_loss_, loss)
        return self.count <= self.patience

    def restore_best(self) -> None:
        if self.best_weights is None:
            return
        for live, best in zip(self.model.weights, self.best_weights, strict=True):
            live[...] = best
        for live, best in zip(self.model.biases, self.best_biases, strict=True):
            live[...] = best


def _check_int(name: str, value: Any, low: int, extra: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}{extra}; got {value!r}")
    return int(value)


def _check_float(name: str, value: Any, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number >= {low}; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < low:
        raise ValueError(f"{name} must be a finite number >= {low}; got {value!r}")
    return number


__all__ = ["MLPClassifier"]
