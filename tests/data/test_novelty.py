"""nn_core.drawings.novelty: class-conditional Gaussians checked against SciPy and closed forms, and
the "not a digit" bar on generated drawings.

The bar (issue 11): flag at least 3 of 4 kinds of non-digit (line, dot, random
scribble, filled blob) and at most 1 in 20 ordinary drawn digits. ``bench/not_a_digit.py``
measures it on 500 digits and 300 non-digits; the test below on fresh, smaller sets.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import mahalanobis

from nn_core import MLP
from nn_core.drawings.novelty import (
    ClassGaussians,
    DigitNovelty,
    HiddenView,
    ShapeView,
    generated_digit_inputs,
    hidden_features,
    shape_features,
)
from nn_core.drawings.preprocess import drawing_to_input
from nn_core.drawings.strokes import NON_DIGIT_KINDS, make_drawn_digit_set, make_non_digit_set

# --------------------------------------------------------------------------- the Gaussians


def _blobs(rng, n_per_class=200, d=5, k=3):
    means = rng.normal(0, 3, size=(k, d))
    X = np.vstack([rng.normal(size=(n_per_class, d)) @ rng.normal(size=(d, d)) + m for m in means])
    y = np.repeat(np.arange(k), n_per_class)
    return X, y


@pytest.mark.parametrize("shrinkage", [1e-6, 0.2, 1.0])
def test_distances_and_log_dets_match_scipy_and_numpy(shrinkage):
    rng = np.random.default_rng(0)
    X, y = _blobs(rng)
    g = ClassGaussians.fit(X, y, shrinkage)
    queries = rng.normal(0, 4, size=(7, X.shape[1]))
    distances = g.mahalanobis(queries)
    for c in range(3):
        rows = X[y == c]
        cov = np.cov(rows.T, bias=True)  # maximum likelihood, like the fit
        d = cov.shape[0]
        cov = (1 - shrinkage) * cov + shrinkage * np.trace(cov) / d * np.eye(d)
        inverse = np.linalg.inv(cov)
        for i, q in enumerate(queries):
            expected = mahalanobis(q, rows.mean(axis=0), inverse) ** 2
            assert distances[i, c] == pytest.approx(expected, rel=1e-9)
        assert g.log_dets[c] == pytest.approx(np.linalg.slogdet(cov)[1], rel=1e-10)
    # The score is the negative log-likelihood (x2, no constant) of the likeliest class.
    expected = (distances + g.log_dets).min(axis=1)
    np.testing.assert_allclose(g.score(queries), expected)
    log_pdf = np.column_stack([
        stats.multivariate_normal(g.means[c], np.linalg.inv(g.whiteners[c].T @ g.whiteners[c]))
        .logpdf(queries) for c in range(3)
    ])
    np.testing.assert_allclose(g.score(queries), -2 * log_pdf.max(axis=1) - X.shape[1] * np.log(2 * np.pi),
                               rtol=1e-8)


def test_squared_distances_of_fresh_gaussian_samples_are_chi_square():
    """For data from the fitted Gaussian itself, d^2 ~ chi^2 with d degrees of freedom."""
    rng = np.random.default_rng(1)
    d = 8
    A = rng.normal(size=(d, d))
    X = rng.normal(size=(40_000, d)) @ A
    g = ClassGaussians.fit(X, np.zeros(len(X), dtype=int), shrinkage=1e-9)
    fresh = rng.normal(size=(20_000, d)) @ A
    squared = g.mahalanobis(fresh)[:, 0]
    assert squared.mean() == pytest.approx(d, rel=0.02)
    # The share above chi^2's 99th percentile is 1%.
    assert np.mean(squared > stats.chi2.ppf(0.99, d)) == pytest.approx(0.01, abs=0.003)


def test_features_that_never_vary_are_handled_by_shrinkage():
    rng = np.random.default_rng(2)
    X = np.hstack([rng.normal(size=(100, 3)), np.zeros((100, 2))])  # two dead units
    y = np.arange(100) % 2
    g = ClassGaussians.fit(X, y, shrinkage=0.1)
    assert np.isfinite(g.score(X)).all()
    # Activity on a unit that never fired is far from every class.
    odd = X[:1].copy()
    odd[0, 3] = 5.0
    assert g.score(odd)[0] > g.score(X).max()


@pytest.mark.parametrize(
    ("features", "labels", "shrinkage", "message"),
    [
        (np.full((4, 2), np.nan), [0, 0, 1, 1], 0.1, "NaN"),
        (np.ones((4, 2)), [0, 0, 2, 2], 0.1, "missing"),
        (np.ones((4, 2)), [0, 0, 1], 0.1, "labels"),
        (np.ones((4, 2)), [0.0, 0, 1, 1], 0.1, "integer"),
        (np.ones((4, 2)), [0, 0, 1, 1], 0.0, "shrinkage"),
        (np.ones(4), [0, 0, 1, 1], 0.1, "2-D"),
    ],
)
def test_bad_input_is_refused_with_a_reason(features, labels, shrinkage, message):
    with pytest.raises(ValueError, match=message):
        ClassGaussians.fit(np.asarray(features), np.asarray(labels), shrinkage)


def test_the_views_features():
    X = np.array([[0.0, 3.0, 4.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(shape_features(X), [[0, 0.6, 0.8], [0, 0, 0]])
    net = MLP([3, 4, 2], seed=0, dtype=np.float64)
    _, activations = net.forward_trace(X)
    np.testing.assert_array_equal(hidden_features(net, X), activations[1])
    # No hidden layer: the logits.
    flat = MLP([3, 2], seed=0, dtype=np.float64)
    np.testing.assert_allclose(hidden_features(flat, X), X @ flat.weights[0] + flat.biases[0])


def test_thresholds_flag_the_calibration_quantile_by_construction():
    rng = np.random.default_rng(3)
    X, y = _blobs(rng, d=6)
    net = MLP([6, 5, 3], seed=0, dtype=np.float64)
    net.fit(X, y, epochs=3, batch_size=32)
    calibration = X[rng.choice(len(X), 300, replace=False)] + rng.normal(0, 0.3, (300, 6))
    detector = DigitNovelty.fit(net, X, y, calibration, quantile=0.95)
    per_view = np.mean(detector.scores(calibration) > detector.thresholds, axis=0)
    np.testing.assert_allclose(per_view, 0.05, atol=1 / 300 + 1e-12)
    assert np.mean(detector.is_novel(calibration)) <= 0.10 + 1e-12
    # A percentile is the share of calibration scores below.
    verdict = detector.assess(calibration[0])
    assert set(verdict.percentiles) == {"hidden", "shape"}
    assert verdict.flagged == bool(detector.is_novel(calibration[:1])[0])
    far = detector.assess(X[0] * 50)
    assert far.flagged and far.percentile == 1.0
    # The shape view depends on the data only: passing it in gives the same detector.
    again = DigitNovelty(HiddenView.fit(net, X, y, 0.2), ShapeView.fit(X, y, 0.2), calibration, 0.95)
    np.testing.assert_allclose(again.thresholds, detector.thresholds)
    with pytest.raises(ValueError, match="quantile"):
        DigitNovelty.fit(net, X, y, calibration, quantile=1.0)


# --------------------------------------------------------------------------- the bar


@pytest.fixture(scope="module")
def detector(draw_default_run, mnist_sample):
    """Draw's default model's detector, fitted as the Draw page fits it."""
    from playground.draw import drawing

    return drawing.novelty_detector(draw_default_run.net, mnist_sample)


@pytest.mark.slow
def test_not_a_digit_meets_the_bar_on_fresh_generated_drawings(detector):
    """Fresh seeds (the bench uses 2024 and 7; the calibration 1). Measured here: 5 of 200
    digits flagged (2.5%); non-digits: line 100%, dot 100%, scribble 76%, blob 76% (25 of
    each, so +-8 points of sampling noise). Bench (500 + 300): 2.6% of digits; line 97%,
    dot 100%, scribble 73%, blob 92%."""
    images, _ = make_drawn_digit_set(20, seed=99)
    digits = np.stack([drawing_to_input(i, "mnist-sample") for i in images])
    others, kinds = make_non_digit_set(25, seed=98)
    other_inputs = np.stack([drawing_to_input(i, "mnist-sample") for i in others])
    flagged_digits = float(detector.is_novel(digits).mean())
    flagged = detector.is_novel(other_inputs)
    per_kind = {k: float(flagged[kinds == k].mean()) for k in NON_DIGIT_KINDS}
    print(f"\ndigits flagged {flagged_digits:.1%}; non-digits: {per_kind}")
    assert flagged_digits <= 0.05, flagged_digits  # the bar: at most 1 in 20
    # At least 3 of the 4 kinds flagged (measured: all 4, the weakest at 76%) ...
    assert sum(rate >= 0.7 for rate in per_kind.values()) >= 3, per_kind
    assert min(per_kind.values()) >= 0.5, per_kind  # ... and the fourth mostly


def test_a_line_a_dot_and_a_blob_are_flagged_and_a_seven_is_not(detector):
    from nn_core.drawings.strokes import render_digit, render_non_digit

    rng = np.random.default_rng(5)
    for kind in ("line", "dot", "blob"):
        x = drawing_to_input(render_non_digit(kind, rng), "mnist-sample")
        assert detector.assess(x).flagged, kind
    seven = drawing_to_input(render_digit(7, np.random.default_rng(0)), "mnist-sample")
    assert not detector.assess(seven).flagged


def test_calibration_drawings_are_ordinary_digits_as_network_input():
    small = generated_digit_inputs("mnist", n_per_class=2, seed=4)
    assert small.shape == (20, 784) and small.dtype == np.float32
    assert 0.0 <= small.min() and small.max() <= 1.0
    np.testing.assert_array_equal(small, generated_digit_inputs("mnist", n_per_class=2, seed=4))
    assert generated_digit_inputs("digits", n_per_class=1, seed=4).shape == (10, 64)
