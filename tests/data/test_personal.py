"""nn_core.drawings.personal: a personal set of drawings saved and loaded safely, and fine-tuning on
it with the engine's trainer without forgetting the rest (test accuracy drops by at most
1 point)."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import numpy as np
import pytest

from nn_core.drawings.personal import (
    FORMAT,
    MAX_EXAMPLES,
    ExampleSet,
    fine_tune,
    load_examples,
    mix,
)
from nn_core.drawings.preprocess import drawing_to_input
from nn_core.drawings.strokes import make_drawn_digit_set, render_paths, unusual_digit_paths


def _set(n=3, dataset="mnist-sample", seed=0):
    rng = np.random.default_rng(seed)
    shape = (8, 8) if dataset == "digits" else (28, 28)
    return ExampleSet(rng.uniform(0, 1, (n, *shape)).astype(np.float32), np.arange(n) % 10, dataset)


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _meta(**overrides) -> np.ndarray:
    meta = {"format": FORMAT, "version": 1, "dataset": "mnist-sample", "n": 2, **overrides}
    return np.array(json.dumps(meta))


GOOD_IMAGES = np.zeros((2, 28, 28), np.float32)
GOOD_LABELS = np.array([3, 7])


# --------------------------------------------------------------------------- files


def test_a_set_round_trips_through_a_file(tmp_path):
    original = _set(5)
    payload = original.to_bytes()
    for source in (payload, io.BytesIO(payload)):
        loaded = load_examples(source)
        np.testing.assert_array_equal(loaded.images, original.images)
        np.testing.assert_array_equal(loaded.labels, original.labels)
        assert loaded.dataset == "mnist-sample" and len(loaded) == 5
    original.save(tmp_path / "mine.npz")
    assert len(load_examples(tmp_path / "mine.npz")) == 5
    digits = _set(2, "digits")
    assert load_examples(digits.to_bytes()).X.shape == (2, 64)
    assert original.added(np.ones((28, 28)), 9).labels.tolist() == [0, 1, 2, 3, 4, 9]


HOSTILE = {
    "empty": (b"", "empty"),
    "not a zip": (b"hello, I am not a zip file", "not an .npz"),
    "truncated": (_set(2).to_bytes()[:200], "damaged|could not be read"),
    "pickled object array": (
        _npz(meta=_meta(), images=np.array([{"evil": 1}, None], dtype=object), labels=GOOD_LABELS),
        "safely",
    ),
    "extra entry": (_npz(meta=_meta(), images=GOOD_IMAGES, labels=GOOD_LABELS, code=np.ones(2)),
                    "unexpected code"),
    "missing labels": (_npz(meta=_meta(), images=GOOD_IMAGES), "missing labels"),
    "meta not JSON": (_npz(meta=np.array("{oops"), images=GOOD_IMAGES, labels=GOOD_LABELS), "JSON"),
    "meta a number": (_npz(meta=np.array(3.0), images=GOOD_IMAGES, labels=GOOD_LABELS), "JSON text"),
    "a model file": (_npz(meta=_meta(format="mlp-playground/model"), images=GOOD_IMAGES,
                          labels=GOOD_LABELS), "format"),
    "future version": (_npz(meta=_meta(version=2), images=GOOD_IMAGES, labels=GOOD_LABELS), "version"),
    "count disagrees": (_npz(meta=_meta(n=5), images=GOOD_IMAGES, labels=GOOD_LABELS), "meta says 5"),
    "unknown dataset": (_npz(meta=_meta(dataset="cifar"), images=GOOD_IMAGES, labels=GOOD_LABELS),
                        "dataset"),
    "8x8 images for 28x28": (_npz(meta=_meta(), images=np.zeros((2, 8, 8)), labels=GOOD_LABELS),
                             "shape|\\(n, 28, 28\\)"),
    "flat images": (_npz(meta=_meta(), images=np.zeros((2, 784)), labels=GOOD_LABELS), "28, 28"),
    "label 10": (_npz(meta=_meta(), images=GOOD_IMAGES, labels=np.array([3, 10])), "0-9"),
    "negative label": (_npz(meta=_meta(), images=GOOD_IMAGES, labels=np.array([-1, 3])), "0-9"),
    "float labels": (_npz(meta=_meta(), images=GOOD_IMAGES, labels=np.array([1.0, 2.0])), "integers"),
    "one label short": (_npz(meta=_meta(), images=GOOD_IMAGES, labels=np.array([1])), "one per image"),
    "NaN pixel": (_npz(meta=_meta(), images=np.full((2, 28, 28), np.nan), labels=GOOD_LABELS), "NaN"),
    "pixel 255": (_npz(meta=_meta(), images=np.full((2, 28, 28), 255.0), labels=GOOD_LABELS), "\\[0, 1\\]"),
    "integer pixels": (_npz(meta=_meta(), images=np.zeros((2, 28, 28), np.uint8), labels=GOOD_LABELS),
                       "floating"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_bad_file_is_refused_with_a_reason(name):
    payload, reason = HOSTILE[name]
    with pytest.raises(ValueError, match=reason) as caught:
        load_examples(payload)
    assert str(caught.value).startswith("not a valid set of drawings")


def test_size_limits_hold_before_anything_is_inflated():
    payload = _set(4).to_bytes()
    with pytest.raises(ValueError, match="limit"):
        load_examples(payload, max_bytes=len(payload) - 1)
    # A small archive that inflates far past the limit (a zip bomb) is refused unread.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.npy", b"\0" * 50_000_000)
        archive.writestr("images.npy", b"")
        archive.writestr("labels.npy", b"")
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ValueError, match="inflate"):
        load_examples(buffer.getvalue(), max_bytes=1_000_000)
    with pytest.raises(ValueError, match="more than"):
        ExampleSet(np.zeros((MAX_EXAMPLES + 1, 8, 8), np.float32), np.zeros(MAX_EXAMPLES + 1, int),
                   "digits")


# --------------------------------------------------------------------------- mixing


def test_mix_holds_the_new_rows_at_their_share_and_training_rows_once():
    rng = np.random.default_rng(0)
    X_train = rng.uniform(size=(1000, 4)).astype(np.float32)
    X_train[:, 0] = np.arange(1000)  # an id per training row
    y_train = np.arange(1000) % 10
    X_new = np.full((5, 4), -1.0, np.float32)
    y_new = np.full(5, 3)
    X, y = mix(X_new, y_new, X_train, y_train, n_rows=800, share=0.1)
    new = X[:, 0] == -1
    assert new.sum() == 80 and np.all(y[new] == 3)  # 5 drawings x 16
    ids = X[~new, 0].astype(int)
    assert ids.size == 720 and np.unique(ids).size == 720  # without replacement
    np.testing.assert_array_equal(y[~new], y_train[ids])
    # Fewer training rows than asked: all of them, and the new ones still a tenth.
    X, _ = mix(X_new, y_new, X_train[:180], y_train[:180], n_rows=800, share=0.1)
    assert (X[:, 0] != -1).sum() == 180 and (X[:, 0] == -1).sum() == 20
    with pytest.raises(ValueError, match="share"):
        mix(X_new, y_new, X_train, y_train, 800, share=1.0)
    with pytest.raises(ValueError, match="same features"):
        mix(X_new, y_new, X_train[:, :3], y_train, 800)


# --------------------------------------------------------------------------- fine-tuning


def _style(name: str, seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([drawing_to_input(render_paths(unusual_digit_paths(name, rng)), "mnist-sample")
                     for _ in range(n)])


@pytest.mark.slow
def test_fine_tuning_on_five_slashed_zeros_teaches_the_style_and_keeps_the_rest(
    draw_default_run, mnist_sample
):
    """Measured: the default model reads 6 of 20 fresh slashed zeros right (the rest as 8
    mostly); after 300 steps on 5 of them mixed with the training digits, 20 of 20. Test
    accuracy 94.90% -> 94.90%; 100 ordinary drawn digits 95% -> 93%."""
    base = draw_default_run.net
    taught, fresh = _style("0-slashed", 11, 5), _style("0-slashed", 12, 20)
    images, labels = make_drawn_digit_set(10, seed=21)
    drawn = np.stack([drawing_to_input(i, "mnist-sample") for i in images])
    net = copy.deepcopy(base)
    steps, history = fine_tune(net, taught, np.zeros(5, int), mnist_sample.X_train, mnist_sample.y_train)
    assert steps == 300 and not history.diverged

    before = base.score(mnist_sample.X_test, mnist_sample.y_test)
    after = net.score(mnist_sample.X_test, mnist_sample.y_test)
    right_before = int(np.sum(base.predict(fresh) == 0))
    right_after = int(np.sum(net.predict(fresh) == 0))
    drawn_before = float(np.mean(base.predict(drawn) == labels))
    drawn_after = float(np.mean(net.predict(drawn) == labels))
    print(f"\ntest {before:.2%} -> {after:.2%}; fresh slashed zeros {right_before} -> "
          f"{right_after} of 20; drawn digits {drawn_before:.1%} -> {drawn_after:.1%}")
    assert after >= before - 0.01  # the bar: at most 1 point lost
    assert right_before <= 9  # the style is misread (measured 6 of 20 right) ...
    assert right_after >= 17  # ... and then read right (measured 20 of 20)
    assert drawn_after >= drawn_before - 0.06  # the other drawn digits stay (measured -2)
    assert np.all(net.predict(taught) == 0)
    # The original network is untouched; the same fine-tune again gives the same weights.
    again = copy.deepcopy(base)
    fine_tune(again, taught, np.zeros(5, int), mnist_sample.X_train, mnist_sample.y_train)
    for w1, w2 in zip(net.weights, again.weights, strict=True):
        np.testing.assert_array_equal(w1, w2)
    assert base.score(mnist_sample.X_test, mnist_sample.y_test) == before


@pytest.mark.slow
@pytest.mark.parametrize("style", ["9-g-tail", "1-long-flag"])
def test_fine_tuning_other_styles_costs_at_most_a_point(draw_default_run, mnist_sample, style):
    """Measured: 9-g-tail 94.90% -> 94.85%, 1-long-flag 94.90% -> 95.00%."""
    digit = {"9-g-tail": 9, "1-long-flag": 1}[style]
    net = copy.deepcopy(draw_default_run.net)
    before = net.score(mnist_sample.X_test, mnist_sample.y_test)
    fine_tune(net, _style(style, 13, 5), np.full(5, digit), mnist_sample.X_train, mnist_sample.y_train)
    after = net.score(mnist_sample.X_test, mnist_sample.y_test)
    print(f"\n{style}: test {before:.2%} -> {after:.2%}")
    assert after >= before - 0.01
