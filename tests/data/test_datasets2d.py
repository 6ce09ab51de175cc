"""The 2-D datasets and input features (nn_core.data.datasets2d) against their closed forms:
points on the circles, arms and quadrants they are drawn from, the features' formulas,
seeding, and the train/test split."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.data import datasets2d as d2


@pytest.mark.parametrize("name", list(d2.DATASETS))
def test_every_dataset_is_seeded_labelled_and_on_the_plane(name):
    X, y = d2.make(name, n=300, noise=0.0, seed=3)
    k = d2.n_classes(name)
    assert X.shape == (300, 2) and X.dtype == np.float64 and y.shape == (300,)
    assert set(np.unique(y)) == set(range(k))  # every class is there
    # Balanced within one point per class (generators split n evenly).
    assert np.ptp(np.bincount(y)) <= 1 or name == "xor"
    assert np.all(np.abs(X) < d2.DOMAIN)  # noise-free points fit the drawn square
    again = d2.make(name, n=300, noise=0.0, seed=3)
    np.testing.assert_array_equal(X, again[0])
    np.testing.assert_array_equal(y, again[1])
    other = d2.make(name, n=300, noise=0.0, seed=4)[0]
    assert not np.array_equal(X, other)


@pytest.mark.parametrize("name", list(d2.DATASETS))
def test_noise_blurs_the_classes(name):
    clean, clean_y = d2.make(name, n=400, noise=0.0, seed=0)
    noisy, noisy_y = d2.make(name, n=400, noise=0.5, seed=0)
    if name == "xor":  # TensorFlow Playground's XOR: noise flips labels, points stay
        np.testing.assert_array_equal(clean, noisy)
        assert np.mean(clean_y != noisy_y) > 0.05
    else:
        assert np.abs(clean - noisy).mean() > 0.05


def test_circle_points_lie_on_the_two_circles_at_no_noise():
    X, y = d2.make("circle", n=200, noise=0.0, seed=1)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 5.0, atol=1e-9)  # the ring
    np.testing.assert_allclose(r[y == 1], 2.5, atol=1e-9)  # the inner circle


def test_xor_labels_follow_the_quadrants_without_noise():
    X, y = d2.make("xor", n=500, noise=0.0, seed=2)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(int))
    assert np.all(np.abs(X) >= 0.3)  # pushed off the axes, as TensorFlow Playground does
    _, noisy = d2.make("xor", n=500, noise=0.5, seed=2)
    X_noisy, _ = d2.make("xor", n=500, noise=0.5, seed=2)
    flipped = np.mean(noisy != (X_noisy[:, 0] * X_noisy[:, 1] >= 0))
    assert 0.05 < flipped < 0.5  # noise flips labels near the axes, not all of them


@pytest.mark.parametrize(("name", "k"), [("spiral", 2), ("spiral3", 3)])
def test_spiral_points_lie_on_their_arms(name, k):
    X, y = d2.make(name, n=300, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    # Arm c: x = r sin t, y = r cos t with t = 1.75 * 2 pi * r / 5 + 2 pi c / k.
    t = 1.75 * 2 * np.pi * r / 5 + 2 * np.pi * y / k
    np.testing.assert_allclose(X[:, 0], r * np.sin(t), atol=1e-9)
    np.testing.assert_allclose(X[:, 1], r * np.cos(t), atol=1e-9)
    assert r.max() < 5.0


def test_gaussian_blobs_sit_around_their_centres():
    X, y = d2.make("gauss", n=2000, noise=0.0, seed=0)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.1)
    # Standard deviation sqrt(0.5) at no noise (TensorFlow Playground's variance 0.5).
    np.testing.assert_allclose(X[y == 1].std(axis=0), np.sqrt(0.5), rtol=0.1)


def test_moons_are_scikit_learns_moved_to_the_middle():
    from sklearn.datasets import make_moons

    X, y = d2.make("moons", n=200, noise=0.0, seed=0)
    reference, labels = make_moons(200, noise=0.0)
    # Same points, up to order: compare the sorted, transformed reference.
    moved = (reference - [0.5, 0.25]) * 3.2
    key = lambda a: np.lexsort(np.round(a, 9).T)  # noqa: E731
    np.testing.assert_allclose(X[key(X)], moved[key(moved)], atol=1e-9)
    assert np.bincount(y).tolist() == np.bincount(labels).tolist()


def test_features_are_their_formulas_scaled_into_minus_one_one():
    rng = np.random.default_rng(0)
    X = rng.uniform(-6, 6, size=(50, 2))
    F = d2.features(X, list(d2.FEATURES))
    x1, x2 = X[:, 0], X[:, 1]
    expected = np.column_stack([x1 / 6, x2 / 6, (x1 / 6) ** 2, (x2 / 6) ** 2, x1 * x2 / 36,
                                np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(F, expected, rtol=1e-6, atol=1e-6)
    assert F.dtype == np.float32
    _, corners = d2.grid(40)
    assert np.abs(d2.features(corners, list(d2.FEATURES))).max() <= 1.0


def test_features_come_in_canonical_order_and_bad_choices_are_refused():
    X = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(d2.features(X, ["sinx2", "x1"]), [[1 / 6, np.sin(2.0)]], rtol=1e-6)
    assert d2.check_features(["x2", "x1"]) == ("x1", "x2")
    with pytest.raises(ValueError, match="at least one"):
        d2.features(X, [])
    with pytest.raises(ValueError, match="unknown feature"):
        d2.features(X, ["x3"])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        d2.features(np.zeros((3, 3)), ["x1"])


def test_grid_runs_x1_fastest_over_cell_centres():
    axis, points = d2.grid(4)
    np.testing.assert_allclose(axis, [-4.5, -1.5, 1.5, 4.5])
    assert points.shape == (16, 2)
    np.testing.assert_allclose(points[:4, 0], axis)  # first row: x1 varies
    np.testing.assert_allclose(points[:4, 1], axis[0])  # at the lowest x2
    np.testing.assert_allclose(points.reshape(4, 4, 2)[2, 3], [axis[3], axis[2]])


def test_split_is_disjoint_complete_seeded_and_sized_by_the_ratio():
    train, test = d2.split(500, 0.3, seed=1)
    assert len(train) == 150 and len(test) == 350
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(range(500))
    np.testing.assert_array_equal(train, d2.split(500, 0.3, seed=1)[0])
    assert not np.array_equal(train, d2.split(500, 0.3, seed=2)[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"name": "ring"}, "unknown 2-D dataset"), ({"noise": 0.6}, "noise"), ({"n": 3}, "at least 6")],
)
def test_bad_arguments_say_what_is_wrong(kwargs, message):
    arguments = {"name": "circle", "n": 100, "noise": 0.0} | kwargs
    with pytest.raises(ValueError, match=message):
        d2.make(**arguments)
