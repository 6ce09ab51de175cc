"""The one training recipe, the training keywords written once, and the trainer's seams.

* ``nn_core.recipe.Recipe`` builds every network the app trains: a sweep cell and a
  Train run with the same settings go through the same ``Recipe.start`` and are the
  same run, bit for bit; the defaults and the validation share live there only.
* ``TrainSettings`` is the one list of training keywords: ``MLP.fit``, ``MLP.trainer``
  and ``Trainer`` take exactly its fields.
* The trainer owns the live settings (learning rate included) and reaches its
  network through the documented ``Trainable`` interface only, never a private name.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import inspect
import pickle
from pathlib import Path

import numpy as np
import pytest

from nn_core import MLP, recipe, sweep
from nn_core.recipe import DEFAULT, VALIDATION_FRACTION, Recipe, split_validation
from nn_core.trainer import Trainable, Trainer, TrainSettings
from playground.boundaries.lab import BoundaryConfig, BoundaryLab
from playground.common.runs import TrainingRun
from playground.common.vocab import DEFAULT_MODEL_CONFIG, TrainConfig

ROOT = Path(__file__).resolve().parents[2]
HISTORY_FIELDS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "lr_changes",
                  "diverged", "diverged_at")


def _data(n=120, n_features=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_features)).astype(np.float32)
    return X, X[:, :n_classes].argmax(axis=1)


@pytest.fixture
def starts(monkeypatch):
    """Every Training that Recipe.start makes while the test runs, with its recipe."""
    made = []
    original = Recipe.start

    def spy(self, *args, **kwargs):
        training = original(self, *args, **kwargs)
        made.append((self, training))
        return training

    monkeypatch.setattr(Recipe, "start", spy)
    return made


# --------------------------------------------------------------------------- the recipe


def test_a_sweep_cell_is_a_train_run_by_construction_bit_for_bit(digits, starts):
    settings = {"hidden": (24, 16), "activation": "tanh", "optimizer": "momentum",
                "learning_rate": 0.05, "batch_size": 64, "l2": 1e-3, "epochs": 3, "seed": 4}
    result = sweep.train_config(settings, digits)
    run = TrainingRun(TrainConfig(**settings), digits)
    run.run_to_end()
    # Both went through the recipe, once each, with the same recipe fields.
    assert len(starts) == 2
    (cell_recipe, cell), (run_recipe, train) = starts
    assert Recipe.of(cell_recipe) == Recipe.of(run_recipe) == Recipe(**settings)
    assert train.net is run.net and train.trainer is run.trainer
    # ... so they are the same run: rows, weights, optimizer state and history.
    np.testing.assert_array_equal(cell.train_rows, run.train_idx)
    np.testing.assert_array_equal(cell.X_val, run.X_val)
    assert cell.net.get_flat_params().tobytes() == run.net.get_flat_params().tobytes()
    for name, value in cell.net.optimizer_.get_state().items():
        np.testing.assert_array_equal(value, run.net.optimizer_.get_state()[name])
    for name in HISTORY_FIELDS:
        assert getattr(cell.trainer.history, name) == getattr(run.history, name), name
    assert result["val_accuracy"] == run.history.val_accuracy[-1]
    assert result["test_accuracy"] == run.test_accuracy
    # The sweep skips the health samples (observation only: the same weights).
    assert cell.trainer.health_samples == 0 and run.trainer.health_samples == 4
    assert run.history.health and not cell.trainer.history.health


def test_the_validation_share_is_a_tenth_of_the_training_rows_everywhere(digits, starts):
    n = len(digits.y_train)  # 1,347
    run = TrainingRun(TrainConfig(epochs=1, hidden=(8,)), digits)
    sweep.train_config({"epochs": 1, "hidden": (8,)}, digits)
    held_out = round(0.1 * n)  # 135
    assert len(starts) == 2
    for _, training in starts:
        assert len(training.y_val) == held_out and len(training.train_rows) == n - held_out
    assert run.n_train == n - held_out and run.trainer.n == n - held_out
    # The held-out rows are the training rows the run does not train on.
    val_rows = np.setdiff1d(np.arange(n), run.train_idx)
    np.testing.assert_array_equal(run.X_val, digits.X_train[val_rows])
    assert VALIDATION_FRACTION == sweep.VALIDATION_FRACTION
    train, val = split_validation(100, seed=1)
    assert len(val) == 10 and len(train) == 90


def test_the_defaults_are_the_recipes():
    recipe_fields = [f.name for f in dataclasses.fields(Recipe)]
    assert issubclass(TrainConfig, Recipe)
    assert [f.name for f in dataclasses.fields(TrainConfig)] == [*recipe_fields, "dataset"]
    assert Recipe.of(TrainConfig()) == DEFAULT == Recipe()
    assert sweep.GRID_KEYS == tuple(recipe_fields)
    assert sweep.DEFAULTS == {name: getattr(DEFAULT, name) for name in recipe_fields}
    parameters = inspect.signature(sweep.run_sweep).parameters
    assert {k: parameters[k].default for k in ("epochs", "batch_size", "seed")} == {
        "epochs": DEFAULT.epochs, "batch_size": DEFAULT.batch_size, "seed": DEFAULT.seed}
    # start_sweep's configs carry their own settings; what they leave out is the recipe's.
    assert "epochs" not in inspect.signature(sweep.start_sweep).parameters
    assert sweep.expand_grid([{}], {}) == [sweep.DEFAULTS]
    assert sweep.normalize_config({}) == sweep.DEFAULTS
    assert DEFAULT_MODEL_CONFIG.network(784, 10).layer_sizes == (784, 256, 10)


def test_the_boundaries_lab_builds_with_the_recipe(monkeypatch):
    built, trained = [], []
    network, trainer = Recipe.network, Recipe.trainer
    monkeypatch.setattr(Recipe, "network",
                        lambda self, *a: built.append(self) or network(self, *a))
    monkeypatch.setattr(Recipe, "trainer",
                        lambda self, *a, **k: trained.append((self, k)) or trainer(self, *a, **k))
    config = BoundaryConfig(data="xor", hidden=(5, 3), activation="relu", learning_rate=0.01,
                            batch_size=8, l1=1e-4, l2=3e-4, seed=2)
    lab = BoundaryLab(config)
    assert built == [config.recipe()] and trained[0][0] == config.recipe()
    assert trained[0][1]["l1"] == 1e-4 and trained[0][1]["rows"] is lab.train_rows
    reference = Recipe(hidden=(5, 3), activation="relu", optimizer="adam", learning_rate=0.01,
                       batch_size=8, l2=3e-4, epochs=lab.trainer.epochs, seed=2).network(2, 2)
    np.testing.assert_array_equal(lab.net.get_flat_params(), reference.get_flat_params())
    assert lab.trainer.l1 == 1e-4 and lab.trainer.learning_rate == 0.01
    assert lab.networks() == (lab.net,)


def test_the_recipe_keeps_its_settings_and_refuses_a_bad_start():
    X, y = _data()
    with pytest.raises(ValueError, match="learning_rate belong to the recipe"):
        Recipe().trainer(Recipe().network(6, 3), X, y, learning_rate=0.1)
    with pytest.raises(ValueError, match="start needs X"):
        Recipe().start(X[:, 0], y)
    assert Recipe(hidden=16).hidden == (16,) and Recipe(hidden=[8, 4]).hidden == (8, 4)
    with pytest.raises(ValueError, match="hidden"):
        Recipe(hidden="64")
    # recipe.fit is net.fit with the recipe's settings.
    a, b = Recipe(epochs=2, hidden=(8,)), Recipe(epochs=2, hidden=(8,))
    net_a, net_b = a.network(6, 3), b.network(6, 3)
    a.fit(net_a, X, y)
    net_b.fit(X, y, epochs=2, batch_size=32, optimizer="adam", learning_rate=3e-3, l2=0.0)
    np.testing.assert_array_equal(net_a.get_flat_params(), net_b.get_flat_params())
    assert recipe.Training is type(Recipe(hidden=(4,)).start(X, y))


# --------------------------------------------------------------------------- the keywords


def _tail(function, skip):
    return list(inspect.signature(function).parameters.values())[skip:]


def test_fit_and_trainer_take_exactly_the_settings_fields():
    fields = dataclasses.fields(TrainSettings)
    for function, overrides in ((MLP.fit, {"health_samples": 0}), (MLP.trainer, {})):
        tail = _tail(function, 3)  # self, X, y
        assert [p.name for p in tail] == [f.name for f in fields]
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in tail)
        assert {p.name: p.default for p in tail} == {
            f.name: overrides.get(f.name, f.default) for f in fields}
    # Trainer takes the same keywords (every one of them here), or one TrainSettings.
    X, y = _data()
    everything = dict(epochs=2, batch_size=16, optimizer="sgd", learning_rate=0.1, l2=1e-3,
                      validation_data=(X[:10], y[:10]), callback=lambda e, h: None,
                      shuffle=False, health_samples=1, l1=1e-4,
                      sample_weight=np.ones(len(y)), rows=np.arange(100))
    assert set(everything) == {f.name for f in fields}
    by_keywords = Trainer(MLP([6, 4, 3], seed=1), X, y, **everything)
    by_settings = Trainer(MLP([6, 4, 3], seed=1), X, y, TrainSettings(**everything))
    assert by_keywords.settings.keywords().keys() == by_settings.settings.keywords().keys()
    by_keywords.run(), by_settings.run()
    np.testing.assert_array_equal(by_keywords.net.get_flat_params(),
                                  by_settings.net.get_flat_params())
    with pytest.raises(TypeError, match="not both"):
        Trainer(MLP([6, 4, 3]), X, y, TrainSettings(), epochs=3)


def test_fit_still_takes_its_settings_by_position_and_names_a_wrong_keyword():
    X, y = _data()
    by_position, by_name = MLP([6, 8, 3], seed=2), MLP([6, 8, 3], seed=2)
    history = by_position.fit(X, y, 3, 16, "momentum", 0.05)
    assert history.epochs == 3
    by_name.fit(X, y, epochs=3, batch_size=16, optimizer="momentum", learning_rate=0.05)
    np.testing.assert_array_equal(by_position.get_flat_params(), by_name.get_flat_params())
    with pytest.raises(TypeError, match="epoch"):
        MLP([6, 3]).fit(X, y, epoch=3)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        MLP([6, 3]).fit(X, y, batch_size=0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        MLP([6, 3]).trainer(X, y, optimizer="lbfgs")
    assert "epochs" in (MLP.fit.__doc__ or "") and MLP.fit.__name__ == "fit"


def test_the_trainer_owns_the_live_settings_and_checks_them_once():
    X, y = _data()
    net = MLP([6, 8, 3], seed=0)
    trainer = net.trainer(X, y, epochs=4, batch_size=16, learning_rate=0.01, l2=1e-3)
    trainer.l1, trainer.batch_size, trainer.epochs = 1e-4, 8, 5
    assert (trainer.settings.l1, trainer.settings.batch_size, trainer.settings.epochs) == (
        1e-4, 8, 5)
    for name, bad in (("l1", -1.0), ("l2", float("inf")), ("batch_size", 0), ("epochs", 1.5),
                      ("learning_rate", 0.0)):
        with pytest.raises(ValueError, match=name):
            setattr(trainer, name, bad)
    # The network's learning rate is its unfinished trainer's: one setting, two names.
    net.learning_rate = 0.02
    assert trainer.learning_rate == 0.02 and trainer.settings.learning_rate == 0.02
    trainer.learning_rate = 0.03
    assert net.learning_rate == 0.03
    trainer.run()
    assert net.learning_rate == 0.03 and net.optimizer_.learning_rate == 0.03
    assert trainer.history.learning_rate == [0.03] * 5
    # Between runs it is the network's own: where the next run starts.
    net.learning_rate = 0.5
    assert trainer.learning_rate == 0.03 and net.trainer(X, y).learning_rate == 0.5


def test_a_learning_rate_set_on_the_trainer_or_on_its_network_is_the_same_run():
    X, y = _data(n=150)
    runs = []
    for through_network in (False, True):
        net = MLP([6, 8, 3], seed=5)
        trainer = net.trainer(X, y, epochs=3, batch_size=20, optimizer="sgd", learning_rate=0.1)
        trainer.step(max_batches=10)  # epoch 2, batch 3 next
        if through_network:
            net.learning_rate = 0.4
        else:
            trainer.learning_rate = 0.4
        trainer.run()
        runs.append((net.get_flat_params(), trainer.history))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1].lr_changes == runs[1][1].lr_changes == [(2, 3, 0.4)]


def test_a_dropped_unfinished_trainer_lets_its_network_go():
    X, y = _data()
    net = MLP([6, 8, 3], seed=0)
    net.fit(X, y, epochs=1, learning_rate=0.02)
    trainer = net.trainer(X, y, learning_rate=0.7)
    trainer.step(max_batches=1)
    assert net.learning_rate == 0.7
    del trainer
    gc.collect()
    assert net.learning_rate == 0.02  # the last finished run's
    clone = pickle.loads(pickle.dumps(net))
    assert clone.learning_rate == 0.02


# --------------------------------------------------------------------------- the seam


def _trainer_tree():
    return ast.parse((ROOT / "nn_core" / "trainer.py").read_text(encoding="utf-8"))


def _network_expressions(node):
    """Attribute accesses on the trainer's network: ``net.x`` and ``self.net.x``."""
    for child in ast.walk(node):
        if not isinstance(child, ast.Attribute):
            continue
        value = child.value
        if isinstance(value, ast.Name) and value.id == "net":
            yield child.attr
        elif (isinstance(value, ast.Attribute) and value.attr == "net"
              and isinstance(value.value, ast.Name) and value.value.id == "self"):
            yield child.attr


def test_the_trainer_uses_no_private_name_of_its_network():
    tree = _trainer_tree()
    used = set(_network_expressions(tree))
    assert used, "the AST walk found no use of the network at all"
    assert not [name for name in used if name.startswith("_")]
    # Only the trainer's own privates: no `x._y` on anything but `self`.
    foreign = [node.attr for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr.startswith("_")
               and not node.attr.startswith("__")
               and not (isinstance(node.value, ast.Name) and node.value.id == "self")]
    assert foreign == []
    # Every name it uses is part of the documented interface, which MLP provides.
    declared = set(Trainable.__annotations__) | {
        name for name, value in vars(Trainable).items()
        if callable(value) and not name.startswith("_")}
    assert used <= declared, used - declared
    net = MLP([3, 2])
    assert isinstance(net, Trainable) and all(hasattr(net, name) for name in declared)


def test_trainer_and_network_do_not_import_each_other_in_a_cycle():
    imported = set()
    for node in ast.walk(_trainer_tree()):
        if isinstance(node, ast.ImportFrom):
            imported.add((node.level, node.module))
        elif isinstance(node, ast.Import):
            imported.update((0, alias.name) for alias in node.names)
    assert (1, "network") not in imported and (0, "nn_core.network") not in imported
    assert (1, "trainer") in {(n.level, n.module) for n in ast.walk(ast.parse(
        (ROOT / "nn_core" / "network.py").read_text(encoding="utf-8")))
        if isinstance(n, ast.ImportFrom)}
