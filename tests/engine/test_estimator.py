"""``nn_core.MLPClassifier``: scikit-learn's estimator checks plus real use in its tool chain."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from nn_core import MLP, MLPClassifier, MLPRegressor
from nn_core.optimizers import make_optimizer


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # These matrices are small: one BLAS thread is faster, and on a busy
    # 2-core machine multithreaded OpenBLAS can be ten times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def sk_digits():
    return load_digits(return_X_y=True)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=600, centers=4, n_features=5, random_state=0)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def _quiet_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


# --------------------------------------------------- scikit-learn's own checks

_PARTIAL_FIT_REFUSES_EARLY_STOPPING = (
    "the check calls partial_fit, which raises ValueError when early_stopping=True, as "
    "scikit-learn's MLPClassifier does: a one-epoch update has no validation set to stop on"
)


_MINI_BATCHES_DIFFER = (
    "weighting a row by k is the same objective as repeating it k times, but with "
    "mini-batches smaller than the data the batches hold different rows (15 weighted rows "
    "vs ~30 repeated ones), so the optimizer takes different steps; scikit-learn runs this "
    "check on full-batch solvers only"
)
_SPLIT_DIFFERS = (
    "early stopping holds out a random share of the rows: repeating rows changes which "
    "samples land in the validation set, so the two fits see different data"
)


def _expected_failed_checks(estimator) -> dict[str, str]:
    failed = {}
    full_batch = estimator.solver == "lbfgs" or estimator.batch_size == "auto"
    if estimator.early_stopping or not full_batch:
        reason = _SPLIT_DIFFERS if estimator.early_stopping else _MINI_BATCHES_DIFFER
        failed["check_sample_weight_equivalence_on_dense_data"] = reason
        failed["check_sample_weight_equivalence_on_sparse_data"] = reason
    if estimator.early_stopping:
        failed.update({
            "check_fit_score_takes_y": _PARTIAL_FIT_REFUSES_EARLY_STOPPING,
            "check_estimators_partial_fit_n_features": _PARTIAL_FIT_REFUSES_EARLY_STOPPING,
            "check_n_features_in_after_fitting": _PARTIAL_FIT_REFUSES_EARLY_STOPPING,
        })
    return failed


@parametrize_with_checks(
    [
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0),
        MLPClassifier(
            (8, 8), activation="logistic", solver="rmsprop", batch_size=8, max_iter=50,
            random_state=1,
        ),
        MLPClassifier((16,), early_stopping=True, validation_fraction=0.3, learning_rate_init=1e-2,
                      random_state=2),
        MLPClassifier((8,), solver="lbfgs", max_iter=100, random_state=3),
        MLPClassifier((16,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.05,
                      random_state=4),
        MLPRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0),
        MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=1),
        MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate="invscaling",
                     learning_rate_init=0.05, power_t=0.25, batch_size=16, random_state=2),
    ],
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,
)
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------------ in the tool chain


def test_pipeline_with_scaler(sk_digits):
    X, y = sk_digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier((32,), random_state=0))])
    _quiet_fit(pipe, X_train, y_train)
    assert pipe.predict(X_test).shape == y_test.shape
    assert pipe.score(X_test, y_test) > 0.9  # measured 0.96


@pytest.mark.slow
def test_cross_val_score_on_digits(sk_digits):
    X, y = sk_digits
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier((64,), learning_rate_init=3e-3, random_state=0)
    )
    scores = cross_val_score(pipe, X, y, cv=5)
    # Measured 0.929-0.941 over random_state 0..4 (sklearn's own MLP: 0.933-0.940).
    assert scores.mean() > 0.9


@pytest.mark.slow
def test_grid_search_picks_params(sk_digits):
    X, y = sk_digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=30, random_state=0))
    grid = {
        "mlpclassifier__hidden_layer_sizes": [(4,), (32,)],
        "mlpclassifier__learning_rate_init": [1e-4, 1e-2],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    # 4 hidden units or a learning rate of 1e-4 for 30 epochs is clearly worse.
    assert search.best_params_ == {
        "mlpclassifier__hidden_layer_sizes": (32,),
        "mlpclassifier__learning_rate_init": 1e-2,
    }
    assert search.best_score_ > 0.9
    assert search.best_estimator_[-1].hidden_layer_sizes == (32,)


def test_clone_round_trip(blobs):
    X_train, X_test, y_train, _ = blobs
    clf = MLPClassifier((8, 4), activation="tanh", solver="momentum", alpha=1e-3,
                        batch_size=32, learning_rate_init=1e-2, max_iter=40, random_state=3)
    _quiet_fit(clf, X_train, y_train)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "model_")
    with pytest.raises(NotFittedError):
        copy.predict(X_test)
    _quiet_fit(copy, X_train, y_train)
    np.testing.assert_array_equal(copy.predict_proba(X_test), clf.predict_proba(X_test))


@pytest.mark.slow
def test_agrees_with_sklearns_mlp(blobs):
    X_train, X_test, y_train, y_test = blobs
    ours = _quiet_fit(MLPClassifier((32,), random_state=0), X_train, y_train)
    theirs = _quiet_fit(SklearnMLPClassifier((32,), random_state=0), X_train, y_train)
    assert ours.score(X_test, y_test) > 0.95
    assert theirs.score(X_test, y_test) > 0.95
    assert np.mean(ours.predict(X_test) == theirs.predict(X_test)) > 0.95
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.predict_proba(X_test).shape == theirs.predict_proba(X_test).shape


def test_agrees_with_sklearns_mlp_on_binary_problem():
    X, y = make_classification(n_samples=600, n_features=10, n_informative=5, class_sep=2.0,
                               random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    for cls in (MLPClassifier, SklearnMLPClassifier):
        clf = _quiet_fit(cls((32,), random_state=0), X_train, y_train)
        assert clf.score(X_test, y_test) > 0.95, cls
        assert clf.predict_proba(X_test).shape == (len(X_test), 2)


# --------------------------------------------------------------- behaviour


def test_string_labels_round_trip(blobs):
    X_train, X_test, y_train, y_test = blobs
    names = np.array(["ant", "bee", "cat", "dog"])
    clf = _quiet_fit(MLPClassifier((16,), random_state=0), X_train, names[y_train])
    np.testing.assert_array_equal(clf.classes_, names)
    predicted = clf.predict(X_test)
    assert predicted.dtype == names.dtype
    assert set(predicted) <= set(names)
    assert clf.score(X_test, names[y_test]) > 0.95


def test_arbitrary_integer_labels(blobs):
    X_train, X_test, y_train, y_test = blobs
    labels = np.array([-7, 3, 10, 1000])
    clf = _quiet_fit(MLPClassifier((16,), random_state=0), X_train, labels[y_train])
    np.testing.assert_array_equal(clf.classes_, labels)
    assert clf.score(X_test, labels[y_test]) > 0.95


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_proba_rows_sum_to_one(blobs, dtype):
    X_train, X_test, y_train, _ = blobs
    clf = _quiet_fit(MLPClassifier((16,), random_state=0), X_train.astype(dtype), y_train)
    proba = clf.predict_proba(X_test.astype(dtype))
    assert proba.shape == (len(X_test), 4)
    assert proba.dtype == dtype
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X_test))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(clf.predict_log_proba(X_test), np.log(proba), rtol=1e-5)


@pytest.mark.parametrize(
    ("X_dtype", "model_dtype"),
    [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64),
     (np.float16, np.float64), (bool, np.float64)],
)
def test_dtype_float32_kept_else_float64(X_dtype, model_dtype):
    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    X = (X > 0) if X_dtype is bool else X.astype(X_dtype)
    clf = _quiet_fit(MLPClassifier((4,), max_iter=5, random_state=0), X, y)
    assert clf.model_.dtype == model_dtype
    assert clf.coefs_[0].dtype == model_dtype


def test_reproducible_with_random_state(blobs):
    X_train, X_test, y_train, _ = blobs
    make = lambda seed: MLPClassifier((16,), max_iter=20, random_state=seed)  # noqa: E731
    a, b, c = (_quiet_fit(make(s), X_train, y_train) for s in (7, 7, 8))
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    assert a.loss_curve_ != c.loss_curve_
    # An int random_state is the engine's seed.
    assert a.model_.seed == 7
    # A RandomState instance works too, and draws the seed from it.
    d, e = (_quiet_fit(MLPClassifier((16,), max_iter=5, random_state=np.random.RandomState(1)),
                       X_train, y_train) for _ in range(2))
    assert d.loss_curve_ == e.loss_curve_


def test_fitted_attributes(blobs):
    X_train, _, y_train, _ = blobs
    clf = _quiet_fit(MLPClassifier((16, 8), max_iter=30, random_state=0), X_train, y_train)
    assert isinstance(clf.model_, MLP)
    assert clf.model_.layer_sizes == (5, 16, 8, 4)
    assert clf.n_features_in_ == 5
    assert [w.shape for w in clf.coefs_] == [(5, 16), (16, 8), (8, 4)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (8,), (4,)]
    assert all(np.shares_memory(c, w) for c, w in zip(clf.coefs_, clf.model_.weights, strict=True))
    assert clf.n_iter_ == len(clf.loss_curve_) == 30
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    # Parameters are stored untouched.
    assert clf.hidden_layer_sizes == (16, 8)


def test_hidden_layer_sizes_int_and_empty(blobs):
    X_train, X_test, y_train, y_test = blobs
    assert _quiet_fit(MLPClassifier(7, max_iter=5, random_state=0), X_train, y_train
                      ).model_.layer_sizes == (5, 7, 4)
    softmax_regression = _quiet_fit(
        MLPClassifier((), learning_rate_init=1e-2, random_state=0), X_train, y_train
    )
    assert softmax_regression.model_.layer_sizes == (5, 4)
    assert softmax_regression.score(X_test, y_test) > 0.9


def test_feature_names_from_dataframe(blobs):
    pd = pytest.importorskip("pandas")
    X_train, X_test, y_train, _ = blobs
    columns = [f"f{i}" for i in range(5)]
    clf = _quiet_fit(MLPClassifier((4,), max_iter=5, random_state=0),
                     pd.DataFrame(X_train, columns=columns), y_train)
    np.testing.assert_array_equal(clf.feature_names_in_, columns)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X_test)


@pytest.mark.parametrize(("given", "engine"), [("logistic", "sigmoid"), ("sigmoid", "sigmoid"),
                                               ("tanh", "tanh"), ("relu", "relu")])
def test_activation_names(blobs, given, engine):
    X_train, _, y_train, _ = blobs
    clf = _quiet_fit(MLPClassifier((4,), activation=given, max_iter=2), X_train, y_train)
    assert clf.model_.activation == engine
    assert clf.activation == given


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"activation": "softplus"}, "activation must be one of .*logistic.*relu.*tanh"),
        ({"solver": "newton"}, "solver must be one of adagrad, adam, lbfgs, momentum, rmsprop, sgd"),
        ({"learning_rate": "cyclic"}, "learning_rate must be one of adaptive, constant, invscaling"),
        ({"momentum": 1.5}, "momentum"),
        ({"beta_2": 1.0}, "beta_2"),
        ({"n_iter_no_change": 2.5}, "n_iter_no_change"),
        ({"max_fun": 0}, "max_fun"),
        ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": "10"}, "hidden_layer_sizes"),
        ({"alpha": -1.0}, "alpha"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": "big"}, "batch_size"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"tol": float("nan")}, "tol"),
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
        ({"early_stopping": True, "validation_fraction": 1.0}, "validation_fraction"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"random_state": -1}, "[Ss]eed"),
    ],
)
def test_invalid_params_raise_at_fit_not_init(params, match):
    clf = MLPClassifier(**params)  # __init__ only stores
    X, y = make_blobs(n_samples=30, centers=2, random_state=0)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


def test_convergence_warning_when_max_iter_reached(blobs):
    X_train, _, y_train, _ = blobs
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X_train, y_train)
    assert clf.n_iter_ == 3


def test_stops_when_loss_stalls_without_warning(blobs):
    X_train, _, y_train, _ = blobs
    clf = MLPClassifier((8,), tol=1e9, n_iter_no_change=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(X_train, y_train)
    # Epoch 1 improves on +inf; then more than n_iter_no_change epochs fail to improve by tol.
    assert clf.n_iter_ == 2 + 2
    assert clf.model_.history_.stopped


def test_early_stopping_keeps_best_validation_weights(blobs):
    X_train, _, y_train, _ = blobs
    clf = MLPClassifier((8,), early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
                        learning_rate_init=3e-2, random_state=5)
    _quiet_fit(clf, X_train, y_train)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    # The same stratified split, redone: the kept weights score best_validation_score_.
    _, X_val, _, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=5,
                                          stratify=y_train)
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)


def test_early_stopping_restores_the_best_epoch_not_the_last():
    # Noisy labels and a large step: validation accuracy peaks early (measured: 0.744 at
    # epoch 5 of 21) and is worse by the time training stops (0.644), so the kept weights
    # must be an earlier epoch's, not the last ones.
    X, y = make_classification(n_samples=300, n_features=20, n_informative=5, flip_y=0.2,
                               random_state=0)
    clf = MLPClassifier((64,), early_stopping=True, validation_fraction=0.3, n_iter_no_change=15,
                        learning_rate_init=3e-2, batch_size=16, max_iter=200, random_state=1)
    _quiet_fit(clf, X, y)
    scores = clf.validation_scores_
    best_epoch = int(np.argmax(scores))
    assert best_epoch < clf.n_iter_ - 1, "the case must peak before the last epoch"
    assert scores[-1] < clf.best_validation_score_ - 0.05  # the last epoch is clearly worse
    _, X_val, _, y_val = train_test_split(X, y, test_size=0.3, random_state=1, stratify=y)
    kept = clf.score(X_val, y_val)
    assert kept == pytest.approx(clf.best_validation_score_)
    assert kept != pytest.approx(scores[-1])  # so the last epoch's weights were not kept


def test_alpha_shrinks_the_fitted_weights(blobs):
    X_train, _, y_train, _ = blobs
    make = lambda alpha: MLPClassifier((16,), alpha=alpha, learning_rate_init=1e-2,  # noqa: E731
                                       max_iter=40, random_state=0)
    # scikit-learn's alpha is divided by the batch size (200 here): alpha=20 is l2=0.1.
    free, penalised = (_quiet_fit(make(a), X_train, y_train) for a in (0.0, 20.0))

    def weight_norm(clf):
        return float(np.sqrt(sum(np.sum(w.astype(np.float64) ** 2) for w in clf.coefs_)))

    # Measured: 4.36 without the penalty, 2.24 with alpha=20 (both fits score 100%).
    assert weight_norm(penalised) < 0.8 * weight_norm(free)


def test_shuffle_false_is_deterministic_and_differs_from_shuffling(blobs):
    X_train, X_test, y_train, _ = blobs
    make = lambda shuffle: MLPClassifier((16,), shuffle=shuffle, batch_size=32,  # noqa: E731
                                         max_iter=10, random_state=3)
    fixed_a, fixed_b, shuffled = (_quiet_fit(make(s), X_train, y_train) for s in (False, False, True))
    assert fixed_a.loss_curve_ == fixed_b.loss_curve_
    np.testing.assert_array_equal(fixed_a.predict_proba(X_test), fixed_b.predict_proba(X_test))
    # Same seed, same initial weights: only the batch order differs.
    assert fixed_a.loss_curve_ != shuffled.loss_curve_
    assert not np.array_equal(fixed_a.coefs_[0], shuffled.coefs_[0])
    # Unshuffled, the batches are the rows in order: the engine's own fit with shuffle=False.
    net = MLP([5, 16, 4], seed=3, dtype=np.float64, init="sklearn")
    net.optimizer_ = make_optimizer("adam", net.n_params, net.dtype, 1e-3)
    net.optimizer_.eps_hat = True  # scikit-learn's form of Adam
    net.fit(X_train, y_train, epochs=10, batch_size=32, optimizer="adam", learning_rate=1e-3,
            l2=1e-4 / 32, shuffle=False)  # alpha / batch_size: scikit-learn's penalty
    np.testing.assert_allclose(fixed_a.coefs_[0], net.weights[0], rtol=1e-12, atol=1e-12)


def test_batch_size_auto_is_min_200_n_samples(monkeypatch):
    X, y = make_blobs(n_samples=500, centers=3, n_features=4, random_state=0)
    make = lambda batch_size: MLPClassifier((8,), batch_size=batch_size,  # noqa: E731
                                            max_iter=3, random_state=0)
    auto, two_hundred, hundred = (_quiet_fit(make(b), X, y) for b in ("auto", 200, 100))
    assert auto.loss_curve_ == two_hundred.loss_curve_
    assert auto.loss_curve_ != hundred.loss_curve_
    # Fewer than 200 samples: one batch of all of them, with no clipping warning.
    used = []
    real_fit = MLP.fit

    def spy(self, *args, **kwargs):
        used.append(kwargs["batch_size"])
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "fit", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _quiet_fit(make("auto"), X[:150], y[:150])
        _quiet_fit(make("auto"), X, y)
    assert used == [150, 200]


def test_diverged_fit_warns_and_keeps_finite_weights(blobs):
    X_train, X_test, y_train, _ = blobs
    clf = MLPClassifier((16,), activation="identity", solver="sgd", learning_rate_init=1e6,
                        random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        clf.fit(X_train.astype(np.float32) * 100, y_train)
    assert clf.model_.history_.diverged
    assert clf.n_iter_ == len(clf.loss_curve_) < clf.max_iter
    assert all(np.isfinite(w).all() for w in clf.coefs_ + clf.intercepts_)
    assert np.isfinite(clf.predict_proba(X_test)).all()


def test_single_class(blobs):
    X_train, X_test, _, _ = blobs
    clf = _quiet_fit(MLPClassifier((4,), random_state=0), X_train, ["only"] * len(X_train))
    np.testing.assert_array_equal(clf.classes_, ["only"])
    assert list(clf.predict(X_test)) == ["only"] * len(X_test)
    np.testing.assert_array_equal(clf.predict_proba(X_test), np.ones((len(X_test), 1)))


def test_batch_size_larger_than_data_is_clipped_with_warning():
    X, y = make_blobs(n_samples=40, centers=2, random_state=0)
    with pytest.warns(UserWarning, match="batch_size=500"):
        clipped = _quiet_fit(MLPClassifier((4,), batch_size=500, max_iter=3, random_state=0), X, y)
    full = _quiet_fit(MLPClassifier((4,), batch_size=40, max_iter=3, random_state=0), X, y)
    assert clipped.loss_curve_ == full.loss_curve_


def test_partial_fit(blobs):
    X_train, X_test, y_train, y_test = blobs
    clf = MLPClassifier((16,), learning_rate_init=1e-2, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X_train, y_train)
    # The first batch need not contain every class.
    first = y_train < 3
    clf.partial_fit(X_train[first], y_train[first], classes=np.arange(4))
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 1
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    for _ in range(20):
        clf.partial_fit(X_train, y_train)
    # As in scikit-learn 1.9: n_iter_ counts the last call's epochs, loss_curve_ all of them.
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 21
    assert clf.t_ == first.sum() + 20 * len(X_train)
    assert clf.loss_curve_[-1] < clf.loss_curve_[1]
    assert clf.score(X_test, y_test) > 0.95
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        clf.partial_fit(X_train[:5], np.full(5, 9))
    with pytest.raises(ValueError, match="not the same"):
        clf.partial_fit(X_train, y_train, classes=np.arange(5))
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X_train[:, :3], y_train)


def test_partial_fit_continues_after_fit(blobs):
    X_train, _, y_train, _ = blobs
    clf = _quiet_fit(MLPClassifier((8,), max_iter=5, random_state=0), X_train, y_train)
    model = clf.model_
    before = clf.coefs_[0].copy()
    clf.partial_fit(X_train, y_train)
    assert clf.model_ is model and clf.n_iter_ == 1 and len(clf.loss_curve_) == 6
    assert not np.array_equal(before, clf.coefs_[0])
    # A new fit starts over.
    _quiet_fit(clf, X_train, y_train)
    assert clf.model_ is not model and clf.n_iter_ == 5


def test_partial_fit_refuses_early_stopping(blobs):
    X_train, _, y_train, _ = blobs
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X_train, y_train, classes=np.arange(4))


def test_pickle_round_trip_predicts_the_same(blobs):
    X_train, X_test, y_train, _ = blobs
    clf = _quiet_fit(MLPClassifier((8,), max_iter=10, random_state=0), X_train, y_train)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_test), clf.predict_proba(X_test))


def test_partial_fit_after_pickle_changes_predictions(blobs):
    X_train, X_test, y_train, _ = blobs
    clf = _quiet_fit(MLPClassifier((8,), max_iter=2, random_state=0), X_train, y_train)
    restored = pickle.loads(pickle.dumps(clf))
    before = restored.predict_proba(X_test)
    for _ in range(5):
        restored.partial_fit(X_train, y_train)
    assert not np.array_equal(before, restored.predict_proba(X_test))
