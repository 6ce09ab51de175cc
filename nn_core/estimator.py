"""``MLPClassifier`` and ``MLPRegressor``: the from-scratch ``nn_core.MLP`` as drop-in
replacements for scikit-learn's ``sklearn.neural_network`` estimators.

What it is for: swapping one import. The parameters, inputs (dense or sparse ``X``,
``sample_weight``, multi-label and multi-output ``y``), fitted attributes and
error messages are scikit-learn's, and scikit-learn's own MLP test file passes
against these classes (``tests/engine/test_sklearn_suite.py``). The network, its training
loop (the engine's ``Trainer``), its optimizers and its loss gradients are the
engine's (``nn_core.network``); this module validates inputs, encodes labels,
decides when to stop and exposes the results under scikit-learn's names.

How scikit-learn's parameters map onto the engine:

* ``solver="lbfgs"`` is ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``
  over the engine's flat parameter vector (``MLP.flat_loss_and_gradient``), as
  scikit-learn does; ``"sgd"`` is the engine's momentum optimizer with
  ``momentum``/``nesterovs_momentum`` (plain SGD at ``momentum=0``) and the
  ``learning_rate`` schedules; ``"adam"`` takes ``beta_1``, ``beta_2``, ``epsilon``
  (added where scikit-learn adds it: the engine's ``eps_hat=True``).
  The engine's other optimizers stay available: ``"momentum"`` (classical,
  ``momentum``), ``"adagrad"`` and ``"rmsprop"`` (the engine's defaults).
* ``alpha``: scikit-learn's objective is the mean loss plus
  ``alpha / (2 n) * sum(||W||^2)`` with ``n`` the samples of the batch (the sum
  of their weights with ``sample_weight``). The engine adds ``l2 / 2 * sum(||W||^2)``
  to a batch's mean loss, so ``l2 = alpha / n``: exact for L-BFGS and full
  batches; for mini-batches ``n`` is the batch size (times the mean weight), so
  an epoch's last, smaller batch is penalised a little less than scikit-learn does.
* Binary problems have one logistic output unit (``coefs_[-1]`` is ``(h, 1)``),
  several classes a softmax, multi-label targets one logistic unit per label with
  binary cross-entropy; regression an identity output with half the squared
  error, or with ``loss="poisson"`` an exponential output with half the Poisson
  deviance.

What differs from scikit-learn, on purpose (README, "Swap one import"):

* Initial weights: scikit-learn's scheme (``MLP(init="sklearn")``: weights and biases
  uniform in ``+-sqrt(6 / (fan_in + fan_out))``), drawn from the engine's generator, so
  a given ``random_state`` gives another (equally good) model than scikit-learn's.
* A fit whose loss blows up does not go on with NaN weights: the engine stops,
  keeps the last weights whose loss was finite and this module warns with a
  ``ConvergenceWarning`` (the epoch counts, with a NaN loss and validation score).
  Only a loss that is not finite on the very first batch raises, as scikit-learn
  does for non-finite weights.
* Early stopping stratifies the split for every single-label classification
  (scikit-learn's code stratifies binary problems only).
* A single-class ``y`` gives one always-certain output: ``predict_proba`` is
  ``(n, 1)``, matching ``classes_``.
* Sparse ``X`` is densified (the engine is dense).
* The momentum velocity is in gradient units (PyTorch's convention): the same steps
  as scikit-learn's at a constant learning rate, slightly different ones right after
  an ``invscaling`` or ``adaptive`` change of the rate.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
import scipy.optimize
import scipy.sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .activations import ACTIVATIONS
from .network import MLP

#: scikit-learn's activation names mapped to the engine's ("logistic" is our "sigmoid").
_ACTIVATION_ALIASES: dict[str, str] = {"logistic": "sigmoid", **{name: name for name in ACTIVATIONS}}
_DTYPES = (np.float64, np.float32)  # float32 stays float32, anything else becomes float64
_STOCHASTIC_SOLVERS = ("sgd", "adam", "momentum", "adagrad", "rmsprop")
_SOLVERS = ("lbfgs", *_STOCHASTIC_SOLVERS)
_SCHEDULES = ("constant", "invscaling", "adaptive")
#: scikit-learn's output activation names -> the engine's output layers.
_ENGINE_OUTPUTS = {"softmax": "softmax", "logistic": "sigmoid", "identity": "identity",
                   "exp": "exp"}
_REGRESSION_LOSSES = {"squared_error": "identity", "poisson": "exp"}
_NONFINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


def _sample_weights(sample_weight: Any, n_samples: int, dtype: Any) -> np.ndarray:
    """scikit-learn's rule for ``sample_weight``, with its public ``check_array``: one
    number weighs every sample alike, else one finite weight per sample (the network
    checks the values again: non-negative, not all zero)."""
    if isinstance(sample_weight, (int, float, np.number)):
        return np.full(n_samples, float(sample_weight), dtype=dtype)
    weights = check_array(sample_weight, ensure_2d=False, dtype=dtype, input_name="sample_weight")
    if weights.ndim != 1 or weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {weights.shape}, expected {(n_samples,)}!"
        )
    return weights


class _BaseMLP(BaseEstimator):
    """What ``MLPClassifier`` and ``MLPRegressor`` share: training and the fitted state.

    Fitted attributes (scikit-learn's): ``coefs_``/``intercepts_`` (lists of
    ``(n_in, n_out)`` weight matrices and bias vectors, live views of ``model_``'s
    parameters; they can be assigned, and the next ``predict``, ``partial_fit`` or
    warm-started ``fit`` starts from the assigned values), ``n_layers_``,
    ``n_outputs_``, ``out_activation_``, ``n_iter_`` (epochs, or L-BFGS iterations,
    of the last call), ``t_`` (training samples seen), ``loss_``, and for the
    stochastic solvers ``loss_curve_``, ``best_loss_``, ``validation_scores_`` and
    ``best_validation_score_``; plus ``model_``, the trained ``nn_core.MLP``.
    """

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _BaseMLP:
        """Fit the model to ``X`` and ``y`` (optionally weighting each sample); returns ``self``.

        With ``warm_start=True`` a second ``fit`` continues from the current
        weights; otherwise it starts over. Emits a ``ConvergenceWarning`` if
        ``max_iter`` is reached before the stopping rule fires, or if training
        diverged (the model then keeps the last weights whose loss was finite).
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> _BaseMLP:
        params = self._checked_params()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, targets = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _sample_weights(sample_weight, X.shape[0], X.dtype)
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X, targets, params)
        else:
            self._sync_model(dtype=X.dtype, params=params)
            self._ensure_training_state(params)
        if params["solver"] == "lbfgs":
            self._fit_lbfgs(X, targets, sample_weight, params)
        else:
            self._fit_stochastic(X, targets, sample_weight, params, incremental)
        if not np.isfinite(self.model_.get_flat_params()).all():  # pragma: no cover
            raise ValueError(_NONFINITE_MESSAGE)
        return self

    def _initialize(self, X: np.ndarray, targets: np.ndarray, params: dict[str, Any]) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = self._n_outputs(targets)
        self.out_activation_ = self._out_activation()
        layer_units = [X.shape[1], *params["hidden"], self.n_outputs_]
        self.n_layers_ = len(layer_units)
        self.model_ = MLP(
            layer_units, activation=params["activation"],
            output=_ENGINE_OUTPUTS[self.out_activation_], seed=self._engine_seed(),
            dtype=X.dtype, init="sklearn",
        )
        self._bind_params()
        self._best_params = self.model_.get_flat_params()
        for name in ("loss_curve_", "_no_improvement_count", "validation_scores_",
                     "best_validation_score_", "best_loss_"):
            self.__dict__.pop(name, None)
        self._ensure_training_state(params)

    def _ensure_training_state(self, params: dict[str, Any]) -> None:
        """The bookkeeping of the stochastic solvers, where it is missing (scikit-learn
        keeps it across warm starts and ``partial_fit`` calls)."""
        if params["solver"] == "lbfgs":
            return
        if not hasattr(self, "loss_curve_"):
            self.loss_curve_ = []
        if not hasattr(self, "_no_improvement_count"):
            self._no_improvement_count = 0
        if not hasattr(self, "best_loss_"):
            self.best_loss_ = None if self.early_stopping else math.inf
        if not hasattr(self, "validation_scores_"):
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -math.inf if self.early_stopping else None
        if self.early_stopping and self.validation_scores_ is None:
            self.validation_scores_, self.best_validation_score_ = [], -math.inf
        if not hasattr(self, "t_"):
            self.t_ = 0

    # ------------------------------------------------------ the fitted weights
    def _bind_params(self) -> None:
        """Point ``coefs_``/``intercepts_`` at the model's live parameters."""
        self.coefs_ = list(self.model_.weights)
        self.intercepts_ = list(self.model_.biases)

    def _sync_model(self, dtype: Any = None, params: dict[str, Any] | None = None) -> MLP:
        """The model, after taking in ``coefs_``/``intercepts_`` if they were assigned
        (a new list, or new arrays in the list) instead of trained in place."""
        model = getattr(self, "model_", None)
        if self._in_sync():
            return model
        coefs, intercepts = self.coefs_, self.intercepts_
        coefs = [np.asarray(c) for c in coefs]
        intercepts = [np.asarray(b).reshape(-1) for b in intercepts]
        if not coefs or len(coefs) != len(intercepts) or any(c.ndim != 2 for c in coefs):
            raise ValueError(
                "coefs_ must be a list of 2-D weight matrices (n_in, n_out), one per layer, "
                "and intercepts_ a list of as many bias vectors"
            )
        sizes = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
        for layer, (coef, bias) in enumerate(zip(coefs, intercepts, strict=True)):
            if coef.shape[0] != sizes[layer] or bias.shape != (coef.shape[1],):
                raise ValueError(
                    f"coefs_[{layer}] has shape {coef.shape} and intercepts_[{layer}] shape "
                    f"{bias.shape}: each layer's weights must be (n_in, n_out) with n_in the "
                    "previous layer's n_out, and its biases (n_out,)"
                )
        if model is None or model.layer_sizes != tuple(sizes) or (
            dtype is not None and model.dtype != dtype
        ):
            if dtype is None:
                dtype = coefs[0].dtype if coefs[0].dtype in _DTYPES else np.float64
            params = params or self._checked_params()
            out = getattr(self, "out_activation_", None) or self._out_activation()
            model = MLP(sizes, activation=params["activation"], output=_ENGINE_OUTPUTS[out],
                        seed=self._engine_seed(), dtype=dtype, init="sklearn")
            self.model_ = model
            self.out_activation_ = out
        for live, new in zip(model.weights, coefs, strict=True):
            live[...] = new
        for live, new in zip(model.biases, intercepts, strict=True):
            live[...] = new
        self.n_layers_ = len(sizes)
        self.n_outputs_ = sizes[-1]
        if not hasattr(self, "_best_params"):
            self._best_params = model.get_flat_params()
        self._bind_params()
        return model

    def _in_sync(self) -> bool:
        model = getattr(self, "model_", None)
        coefs, intercepts = getattr(self, "coefs_", None), getattr(self, "intercepts_", None)
        return (
            model is not None and coefs is not None and intercepts is not None
            and len(coefs) == len(model.weights) and len(intercepts) == len(model.biases)
            and all(c is w for c, w in zip(coefs, model.weights, strict=True))
            and all(b is v for b, v in zip(intercepts, model.biases, strict=True))
        )

    def __getstate__(self) -> dict[str, Any]:
        # coefs_/intercepts_ are views of model_: pickled, they would become copies that
        # no longer follow the model. Rebound on load instead (unless they were assigned).
        state = super().__getstate__()
        if self._in_sync():
            state = {k: v for k, v in state.items() if k not in ("coefs_", "intercepts_")}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "coefs_" not in state and getattr(self, "model_", None) is not None:
            self._bind_params()

    def _engine_seed(self) -> int | None:
        """An int ``random_state`` is the engine's seed; a RandomState draws one."""
        if self.random_state is None:
            return None
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    # ------------------------------------------------------------- L-BFGS
    def _fit_lbfgs(
        self, X: np.ndarray, targets: np.ndarray, sample_weight: np.ndarray | None,
        params: dict[str, Any],
    ) -> None:
        model = self.model_
        callback = None
        if self.verbose:
            iteration = iter(range(1, params["max_iter"] + 2))

            def callback(intermediate_result):
                print(f"Iteration {next(iteration)}, loss = {intermediate_result.fun:.8f}")

        with warnings.catch_warnings():
            # scipy's L-BFGS-B evaluates trial points that may overflow; handled below.
            warnings.simplefilter("ignore", RuntimeWarning)
            result = scipy.optimize.minimize(
                self._loss_grad_lbfgs,
                model.get_flat_params().astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                args=(X, targets, sample_weight),
                callback=callback,
                options={"maxfun": params["max_fun"], "maxiter": params["max_iter"],
                         "gtol": params["tol"]},
            )
        self.n_iter_ = _check_lbfgs_result(result, params["max_iter"])
        if not np.isfinite(result.x).all():
            raise ValueError(_NONFINITE_MESSAGE)
        model.set_flat_params(result.x)
        l2 = self._lbfgs_l2(X.shape[0], sample_weight)
        self.loss_ = self._reported_loss(float(result.fun), l2)

    def _lbfgs_l2(self, n_samples: int, sample_weight: np.ndarray | None) -> float:
        total = n_samples if sample_weight is None else float(np.sum(sample_weight, dtype=np.float64))
        return float(self.alpha) / max(total, np.finfo(np.float64).tiny)

    def _loss_grad_lbfgs(
        self, packed_coef_inter: np.ndarray, X: Any, y: Any, sample_weight: Any = None, *_: Any
    ) -> tuple[float, np.ndarray]:
        """The L-BFGS objective at the flat parameters ``packed_coef_inter`` (all weights,
        then all biases: scikit-learn's packing too): the mean loss plus
        ``alpha / (2 n) * sum(||W||^2)``, and its gradient as one float64 vector.

        ``y`` is the engine's targets, or scikit-learn's label-binarised matrix (its
        one-hot rows become labels for a softmax output). Leaves the model at
        ``packed_coef_inter``.
        """
        model = self.model_
        theta = np.asarray(packed_coef_inter, dtype=np.float64)
        if not np.isfinite(theta).all():
            return math.inf, np.zeros_like(theta)
        model.set_flat_params(theta)
        y = np.asarray(y)
        if y.ndim == 2 and model.output == "softmax":
            y = y.argmax(axis=1)
        l2 = self._lbfgs_l2(np.shape(X)[0], sample_weight)
        loss, grad = model.flat_loss_and_gradient(X, y, l2=l2, sample_weight=sample_weight)
        if not math.isfinite(loss):  # an overflowing trial point: make the line search back off
            return math.inf, np.zeros_like(theta)
        return loss, grad.astype(np.float64)

    def _averages_outputs(self) -> bool:
        """Whether scikit-learn reports this loss averaged over the outputs: its squared
        error is (its gradient, the engine's, is not), for several regression targets."""
        return (not is_classifier(self) and self.n_outputs_ > 1
                and self.out_activation_ == "identity")

    def _penalty(self, l2: float) -> float:
        """``l2 / 2 * sum(||W||^2)`` at the model's current weights."""
        weights = self.model_.get_flat_params()[: sum(w.size for w in self.model_.weights)]
        return 0.5 * l2 * float(np.dot(weights, weights))

    def _reported_loss(self, loss: float, l2: float, penalty: float | None = None) -> float:
        """The loss as scikit-learn reports it: for several regression targets the data
        term (the loss less ``penalty``, by default the one at the current weights) is
        divided by ``n_outputs_``, the penalty is not."""
        if not self._averages_outputs():
            return loss
        penalty = self._penalty(l2) if penalty is None else penalty
        return (loss - penalty) / self.n_outputs_ + penalty

    # ------------------------------------------------------ stochastic solvers
    def _fit_stochastic(
        self, X: np.ndarray, targets: np.ndarray, sample_weight: np.ndarray | None,
        params: dict[str, Any], incremental: bool,
    ) -> None:
        model = self.model_
        engine_solver = self._engine_solver(params)
        if not incremental or model.optimizer_ is None or model.optimizer_.name != engine_solver:
            # A fresh optimizer (as scikit-learn makes one per fit), at learning_rate_init.
            model.learning_rate = params["learning_rate_init"]
            model.use_optimizer(engine_solver, fresh=True)
        self._configure_optimizer(model.optimizer_, params)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")

        validation = None
        if self.early_stopping:
            train_rows, val_rows = train_test_split(
                np.arange(X.shape[0]), random_state=self._random_state,
                test_size=self.validation_fraction, stratify=self._stratify_by(targets),
            )
            if val_rows.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            validation = (
                X[val_rows], self._validation_truth(targets[val_rows]),
                None if sample_weight is None else sample_weight[val_rows],
            )
            X, targets = X[train_rows], targets[train_rows]
            if sample_weight is not None:
                sample_weight = sample_weight[train_rows]

        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going "
                    f"to be clipped: batch_size={self.batch_size} is larger than the "
                    f"{n_samples} samples; using batch_size={n_samples}",
                    UserWarning, stacklevel=4,
                )
            batch_size = min(int(self.batch_size), n_samples)
        mean_weight = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        l2 = params["alpha"] / (batch_size * max(mean_weight, np.finfo(np.float64).tiny))

        self.n_iter_ = 0
        epochs = 1 if incremental else params["max_iter"]
        monitor = _EpochEnd(self, params, n_samples, l2, validation)
        history = model.fit(
            X, targets, epochs=epochs, batch_size=batch_size, l2=l2, callback=monitor,
            shuffle=bool(self.shuffle), sample_weight=sample_weight,
        )
        if history.diverged:
            self._diverged(history, monitor)
        if self.early_stopping and self._best_params.shape == (model.n_params,):
            model.set_flat_params(self._best_params)
        if history.diverged:
            _warn_diverged(history)
        elif not incremental and not monitor.converged and self.n_iter_ == params["max_iter"]:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({params['max_iter']}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _diverged(self, history, monitor: _EpochEnd) -> None:
        if history.diverged_at == (1, 1) and "finite" in (history.diverged_reason or ""):
            raise ValueError(
                f"{_NONFINITE_MESSAGE} (The loss was not a finite number on the first "
                "batch, before any training step; the weights were left as they were.)"
            )
        # The epoch that diverged counts, with a NaN loss (and validation score).
        self.n_iter_ += 1
        self.loss_curve_.append(math.nan)
        if self.early_stopping:
            self.validation_scores_.append(math.nan)
        monitor.converged = False

    def _engine_solver(self, params: dict[str, Any]) -> str:
        if params["solver"] == "sgd":
            return "momentum" if params["momentum"] > 0 else "sgd"
        return params["solver"]

    def _configure_optimizer(self, optimizer, params: dict[str, Any]) -> None:
        if params["solver"] == "adam":
            optimizer.beta1, optimizer.beta2 = params["beta_1"], params["beta_2"]
            optimizer.eps, optimizer.eps_hat = params["epsilon"], True  # scikit-learn's form
        elif optimizer.name == "momentum":
            optimizer.momentum = params["momentum"]
            optimizer.nesterov = params["solver"] == "sgd" and bool(self.nesterovs_momentum)

    @property
    def _optimizer(self):
        """The engine's optimizer of ``model_`` (its ``learning_rate`` is the current
        step size, as on scikit-learn's private ``_optimizer``)."""
        try:
            optimizer = self.model_.optimizer_
        except AttributeError:
            optimizer = None
        if optimizer is None:
            raise AttributeError("no optimizer before a stochastic fit")
        return optimizer

    # -------------------------------------------------------------- predicting
    def _outputs(self, X: Any) -> np.ndarray:
        """The output layer's activations for ``X``, ``(n_samples, n_outputs_)``."""
        check_is_fitted(self)
        X = _dense(validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                                 dtype=_DTYPES))
        return self._sync_model().outputs(X)

    def _score_outputs(self, X: np.ndarray) -> np.ndarray | None:
        """Outputs of the live model for validation, or None if they are not finite."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                return self.model_.outputs(X)
        except ValueError:
            return None

    # ------------------------------------------------------------- parameters
    def _checked_params(self) -> dict[str, Any]:
        """The parameters, validated and normalised; raises ``ValueError`` naming the bad one."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            hidden = tuple(sizes) if not isinstance(sizes, str) else None
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
        _check_choice("solver", self.solver, _SOLVERS)
        _check_choice("learning_rate", self.learning_rate, _SCHEDULES)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            _check_int("batch_size", self.batch_size, low=1, extra=' or "auto"')
        for name in ("shuffle", "early_stopping", "warm_start", "nesterovs_momentum"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}")
        if not isinstance(self.verbose, (bool, np.bool_, numbers.Integral)) or self.verbose < 0:
            raise ValueError(f"verbose must be True, False or an integer >= 0; got {self.verbose!r}")
        fraction = _check_float("validation_fraction", self.validation_fraction, low=0.0)
        if self.early_stopping and not 0.0 < fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1); got {fraction!r}")
        patience = self.n_iter_no_change
        if not (isinstance(patience, numbers.Real) and patience == math.inf):
            patience = _check_int("n_iter_no_change", patience, low=1, extra=" or np.inf")
        learning_rate = _check_float("learning_rate_init", self.learning_rate_init, low=0.0)
        if learning_rate == 0.0:
            raise ValueError("learning_rate_init must be positive; got 0")
        epsilon = _check_float("epsilon", self.epsilon, low=0.0)
        if epsilon == 0.0:
            raise ValueError("epsilon must be positive; got 0")
        momentum = _check_float("momentum", self.momentum, low=0.0)
        if momentum > 1.0:
            raise ValueError(f"momentum must be in [0, 1]; got {self.momentum!r}")
        betas = {}
        for name in ("beta_1", "beta_2"):
            betas[name] = _check_float(name, getattr(self, name), low=0.0)
            if betas[name] >= 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {getattr(self, name)!r}")
        return {
            "hidden": hidden,
            "activation": _ACTIVATION_ALIASES[activation],
            "solver": self.solver,
            "alpha": _check_float("alpha", self.alpha, low=0.0),
            "learning_rate_init": learning_rate,
            "max_iter": _check_int("max_iter", self.max_iter, low=1),
            "max_fun": _check_int("max_fun", self.max_fun, low=1),
            "tol": _check_float("tol", self.tol, low=0.0),
            "n_iter_no_change": patience,
            "power_t": _check_float("power_t", self.power_t, low=0.0),
            "momentum": momentum,
            "epsilon": epsilon,
            **betas,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class _EpochEnd:
    """``MLP.fit`` callback run after every epoch: scikit-learn's per-iteration
    bookkeeping (``n_iter_``, ``t_``, ``loss_curve_``, verbose output), its stopping
    rule on the training loss or the validation score, and its learning-rate schedules."""

    def __init__(self, estimator: _BaseMLP, params: dict[str, Any], n_samples: int, l2: float,
                 validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None) -> None:
        self.est = estimator
        self.params = params
        self.n_samples = n_samples
        self.l2 = l2
        self.validation = validation
        self.converged = False
        # For a loss averaged over the outputs: the penalty at the epoch's start (that of
        # the weights its batches are evaluated at: exact for one batch per epoch).
        self.penalty = estimator._penalty(l2) if estimator._averages_outputs() else 0.0

    def __call__(self, epoch: int, history) -> bool:
        est, params = self.est, self.params
        model = est.model_
        loss = est._reported_loss(float(history.loss[-1]), self.l2, self.penalty)
        if est._averages_outputs():
            self.penalty = est._penalty(self.l2)
        est.n_iter_ += 1
        est.loss_ = loss
        est.t_ += self.n_samples
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        self._update_no_improvement_count(loss)

        schedule = est.learning_rate if params["solver"] == "sgd" else "constant"
        if schedule == "invscaling":
            self._set_learning_rate(
                float(params["learning_rate_init"]) / (est.t_ + 1) ** params["power_t"]
            )
        if est._no_improvement_count > params["n_iter_no_change"]:
            what = "Validation score" if est.early_stopping else "Training loss"
            msg = (f"{what} did not improve more than tol={params['tol']:f} for "
                   f"{params['n_iter_no_change']} consecutive epochs.")
            if schedule == "adaptive" and model.learning_rate > 1e-6:
                self._set_learning_rate(model.learning_rate / 5.0)
                if est.verbose:
                    print(f"{msg} Setting learning rate to {model.learning_rate:f}")
                est._no_improvement_count = 0
            else:
                if est.verbose:
                    print(msg + (" Learning rate too small." if schedule == "adaptive" else "")
                          + " Stopping.")
                self.converged = True
                return False
        return True

    def _set_learning_rate(self, value: float) -> None:
        # The run's learning rate (fit's trainer's): used from the next batch on, and the
        # optimizer's once the run ends (scikit-learn's _optimizer.learning_rate).
        self.est.model_.learning_rate = value

    def _update_no_improvement_count(self, loss: float) -> None:
        est, tol = self.est, self.params["tol"]
        if est.early_stopping:
            X_val, y_val, w_val = self.validation
            score = est._validation_score(X_val, y_val, w_val)
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            if score < est.best_validation_score_ + tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_params = est.model_.get_flat_params()
        else:
            if loss > est.best_loss_ - tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if loss < est.best_loss_:
                est.best_loss_ = loss


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by ``nn_core.MLP``: a drop-in for
    ``sklearn.neural_network.MLPClassifier`` (same parameters, attributes and methods).

    Parameters are scikit-learn's (see its documentation), with these additions:
    ``activation`` also takes ``"sigmoid"`` (= ``"logistic"``) and ``"leaky_relu"``;
    ``solver`` also takes the engine's ``"momentum"``, ``"adagrad"`` and ``"rmsprop"``;
    ``hidden_layer_sizes=()`` gives no hidden layer. ``y`` may be labels of any
    type, or a multi-label 0/1 indicator matrix (one logistic output per label).
    See the module docstring for how ``alpha`` maps onto the engine and what differs.
    """

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-3,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> MLPClassifier:
        """Train one epoch on ``(X, y)``, continuing from the current weights; returns ``self``.

        ``classes`` (every label that will ever be seen) is required on the first
        call; ``y`` need not contain all of them. Only for the stochastic solvers.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    # ------------------------------------------------------------ prediction
    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, ``(n_samples,)`` (an indicator matrix for multi-label ``y``)."""
        return self._labels_from_outputs(self._outputs(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n_samples, n_classes)``, columns in the order of
        ``classes_`` (per-label probabilities, not summing to 1, for multi-label ``y``)."""
        outputs = self._outputs(X)
        if self._is_binary():
            p = outputs.ravel()
            return np.vstack([1 - p, p]).T
        return outputs

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Natural log of ``predict_proba`` (``-inf`` where a probability is exactly 0)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def _labels_from_outputs(self, outputs: np.ndarray) -> np.ndarray:
        if len(self.classes_) == 1 and self._label_binarizer.y_type_ != "multilabel-indicator":
            return np.repeat(self.classes_, outputs.shape[0])
        if self._label_binarizer.y_type_ == "multiclass":
            return self.classes_.take(outputs.argmax(axis=1))
        return self._label_binarizer.inverse_transform(
            outputs.ravel() if outputs.shape[1] == 1 else outputs
        )

    def _validation_score(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
        outputs = self._score_outputs(X)
        if outputs is None:
            return math.nan
        return float(accuracy_score(y, self._labels_from_outputs(outputs), sample_weight=w))

    # ----------------------------------------------------------------- helpers
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=_DTYPES, reset=reset)
        X = _dense(X)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        return X, self._encode(y, X.dtype)

    def _is_binary(self) -> bool:
        return self._label_binarizer.y_type_ == "binary" and len(self.classes_) == 2

    def _encode(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """The engine's targets: class indices for a softmax (multi-class, or a single
        class), a 0/1 float matrix for logistic outputs (binary, multi-label)."""
        kind = self._label_binarizer.y_type_
        if kind == "multilabel-indicator" or self._is_binary():
            return np.ascontiguousarray(self._label_binarizer.transform(y), dtype=dtype)
        return np.searchsorted(self.classes_, y).astype(np.intp)

    def _n_outputs(self, targets: np.ndarray) -> int:
        """Units of the output layer: one per class for a softmax, one per 0/1 column."""
        return targets.shape[1] if targets.ndim == 2 else len(self.classes_)

    def _out_activation(self) -> str:
        kind = self._label_binarizer.y_type_
        return "logistic" if kind == "multilabel-indicator" or self._is_binary() else "softmax"

    def _stratify_by(self, targets: np.ndarray) -> np.ndarray | None:
        """A column to stratify the early-stopping split by: the 0/1 target of a binary
        problem (as scikit-learn does), the class of a multi-class one; none for multi-label,
        or when the data is too small for both sides to hold every class. A class with a
        single member raises scikit-learn's error."""
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None
        column = targets.astype(bool) if self._is_binary() else self.classes_[targets].reshape(-1, 1)
        n_samples, n_classes = targets.shape[0], len(self.classes_)
        n_val = math.ceil(self.validation_fraction * n_samples)
        smallest = np.unique(column, return_counts=True)[1].min()
        if smallest >= 2 and (n_val < n_classes or n_samples - n_val < n_classes):
            return None  # every class has 2 members, but a side is too small to hold them all
        return column

    def _validation_truth(self, targets: np.ndarray) -> np.ndarray:
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return targets.astype(int)
        if self._is_binary():
            return self.classes_[targets[:, 0].astype(np.intp)]
        return self.classes_[targets]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by ``nn_core.MLP``: a drop-in for
    ``sklearn.neural_network.MLPRegressor`` (same parameters, attributes and methods).

    ``loss="squared_error"`` trains an identity output on half the squared error,
    ``loss="poisson"`` an exponential output on half the Poisson deviance (``y >= 0``).
    ``y`` may have several columns (one output each). The other parameters are as for
    :class:`MLPClassifier`.
    """

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-3,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
    ) -> None:
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train one epoch on ``(X, y)``, continuing from the current weights; returns ``self``.
        Only for the stochastic solvers."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values, ``(n_samples,)`` for one target, else ``(n_samples, n_outputs)``."""
        outputs = self._outputs(X)
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def _validation_score(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
        outputs = self._score_outputs(X)
        if outputs is None:
            return math.nan
        predicted = outputs.ravel() if outputs.shape[1] == 1 else outputs
        return float(r2_score(y, predicted, sample_weight=w))

    def _checked_params(self) -> dict[str, Any]:
        _check_choice("loss", self.loss, tuple(_REGRESSION_LOSSES))
        return super()._checked_params()

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=_DTYPES, reset=reset)
        X = _dense(X)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.min(y) < 0:
            raise ValueError("Some value(s) of y are negative which is not allowed for "
                             "loss='poisson'.")
        targets = np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=X.dtype)
        return X, targets

    def _n_outputs(self, targets: np.ndarray) -> int:
        return targets.shape[1]

    def _out_activation(self) -> str:
        return _REGRESSION_LOSSES[self.loss]

    def _stratify_by(self, targets: np.ndarray) -> None:
        return None

    def _validation_truth(self, targets: np.ndarray) -> np.ndarray:
        return targets.ravel() if targets.shape[1] == 1 else targets


# ---------------------------------------------------------------------- helpers
def _dense(X: Any) -> np.ndarray:
    """The engine is dense: a sparse ``X`` becomes an array (same dtype)."""
    return X.toarray() if scipy.sparse.issparse(X) else X


def _check_partial_fit_first_call(clf: MLPClassifier, classes: Any) -> bool:
    """scikit-learn's rule: ``classes`` is required on the first ``partial_fit`` and
    must not change later. Returns whether this is the first call."""
    if getattr(clf, "classes_", None) is None and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if classes is not None:
        if getattr(clf, "classes_", None) is not None:
            if not np.array_equal(clf.classes_, unique_labels(classes)):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                    f"was: {clf.classes_!r}"
                )
        else:
            clf.classes_ = unique_labels(classes)
            return True
    return False


def _check_lbfgs_result(result, max_iter: int) -> int:
    """``n_iter_`` of an L-BFGS run; a ``ConvergenceWarning`` when it did not converge."""
    n_iter = min(int(result.nit), max_iter)
    if result.status != 0:
        message = (f"lbfgs failed to converge after {n_iter} iteration(s) "
                   f"(status={result.status}):\n{result.message}\n")
        if n_iter == max_iter:
            message += ("\nIncrease the number of iterations to improve the convergence "
                        f"(max_iter={max_iter}).")
        message += "\nYou might also want to scale the data (e.g. StandardScaler)."
        warnings.warn(message, ConvergenceWarning, stacklevel=4)
    return n_iter


def _warn_diverged(history) -> None:
    epoch, batch = history.diverged_at or (0, 0)
    warnings.warn(
        f"Training diverged: {history.diverged_reason or 'the loss became NaN or infinite'} "
        f"at epoch {epoch}, batch {batch}, so training stopped there and the model keeps "
        "the last weights whose loss was finite. Try a smaller learning_rate_init, or "
        "scale the features (e.g. StandardScaler).",
        ConvergenceWarning,
        stacklevel=5,
    )


def _check_choice(name: str, value: Any, valid: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"{name} must be one of {', '.join(sorted(valid))}; got {value!r}")
    return value


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


__all__ = ["MLPClassifier", "MLPRegressor"]
