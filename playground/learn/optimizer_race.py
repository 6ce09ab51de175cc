"""The Optimizers page's logic, without Streamlit: races on 2-D surfaces and on a real network.

On a 2-D surface the five optimizers of ``nn_core.optimizers`` (the exact code that
trains the networks) are applied to a 2-element parameter vector, the point
``(x, y)``: each step takes the surface's gradient there and calls the optimizer's
``update(params, grads, out)``. Nothing here re-implements an update rule.

The real-network race builds the same MLP (same seed, so the same starting weights)
once per optimizer and steps each one's engine :class:`~nn_core.trainer.Trainer` a
little at a time, so the page can draw the curves as they grow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn_core import MLP
from nn_core.optimizers import make_optimizer
from playground.common.i18n import N_, _

#: The optimizers raced, in the order the tutorial (section 2.5) lists them.
OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
OPTIMIZER_LABELS = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
}
#: A point farther than this from the origin has left the picture for good: diverged.
#: What each optimizer changes: a sentence or three and its update rule (LaTeX), for the
#: page's "What each one changes".
EXPLAINERS = {
    "sgd": (
        N_("Steps straight down the gradient. One learning rate for every weight: too big and "
        "it zig-zags across steep directions, too small and it crawls along flat ones."),
        r"\theta \leftarrow \theta - \eta\, g",
    ),
    "momentum": (
        N_("Keeps a running velocity: gradients that agree from step to step add up, ones that "
        "flip sign partly cancel. With μ and η matched to the valley (μ 0.5, η 1) it goes "
        "along it far faster than SGD; with too much momentum for its η (μ 0.9 at η 0.1) "
        "it swings across the valley and is the slowest. The map under the race shows "
        "where it pays. It can also roll over a hump into a deeper minimum."),
        r"v \leftarrow \mu v + g, \qquad \theta \leftarrow \theta - \eta\, v",
    ),
    "adagrad": (
        N_("Divides each coordinate's step by the root of the sum of all its squared gradients "
        "so far: steep coordinates get small steps, flat ones big steps. That helps when the "
        "steep direction is a coordinate (the valley), not when it runs between them (the "
        "rotated valley). The sum only grows, so its steps shrink for ever."),
        r"s \leftarrow s + g^2, \qquad \theta \leftarrow \theta - \frac{\eta\, g}"
        r"{\sqrt{s} + \epsilon}",
    ),
    "rmsprop": (
        N_("AdaGrad with a memory that fades: a running mean of squared gradients per "
        "coordinate, so the steps do not die out. Near a minimum its step stays about η, so "
        "it hovers there: it leaves a saddle early but can reach the minimum last."),
        r"s \leftarrow \rho s + (1 - \rho) g^2, \qquad \theta \leftarrow \theta - "
        r"\frac{\eta\, g}{\sqrt{s} + \epsilon}",
    ),
    "adam": (
        N_("Momentum and RMSProp together, with both averages corrected for starting at zero. "
        "Its first steps are about η in every direction whatever the gradient's size: that "
        "is why a tiny or a huge gradient moves it alike, and why it is not SGD."),
        r"\begin{aligned} & m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow "
        r"\beta_2 v + (1 - \beta_2) g^2, \\ & \theta \leftarrow \theta - \eta\,"
        r"\frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon} \end{aligned}",
    ),
}

ESCAPE_RADIUS = 1e6


# --------------------------------------------------------------------------- surfaces


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: its value (on grids, for the contours), its gradient, where
    the race starts, where its minima are (the global one first) and how to draw it."""

    key: str
    label: str
    blurb: str
    formula: str  # LaTeX
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    #: Each optimizer's learning rate that races well here (the page's defaults).
    learning_rates: dict[str, float]
    steps: int = 100
    #: Contours of log(1 + f - f_min) instead of f (for surfaces with steep walls).
    log_contours: bool = False
    #: Momentum's mu on this surface (the page's default).
    momentum: float = 0.9
    #: For a saddle: the coordinate (0: x, 1: y) along which the way out runs, and how
    #: far along it counts as having left (the race table's "left the saddle" column).
    escape: tuple[int, float] | None = None

    @property
    def minimum_value(self) -> float:
        x, y = self.minima[0]
        return float(self.value(np.array(x), np.array(y)))


def _valley_value(x, y):
    return x**2 / 20.0 + y**2


def _valley_gradient(p):
    return np.array([p[0] / 10.0, 2.0 * p[1]])


ROTATION = math.sqrt(0.5)  # cos 45° = sin 45°


def _rotated_valley_value(x, y):
    """The valley turned 45°: its steep direction is (-1, 1), no coordinate axis."""
    along, across = ROTATION * (x + y), ROTATION * (y - x)
    return _valley_value(along, across)


def _rotated_valley_gradient(p):
    along, across = ROTATION * (p[0] + p[1]), ROTATION * (p[1] - p[0])
    g_along, g_across = _valley_gradient(np.array([along, across]))
    return np.array([ROTATION * (g_along - g_across), ROTATION * (g_along + g_across)])


def _rosenbrock_value(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def _rosenbrock_gradient(p):
    x, y = p
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)])


def _saddle_value(x, y):
    return 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2


def _saddle_gradient(p):
    x, y = p
    return np.array([x, y**3 - y])


TILT = 0.4


def _two_minima_value(x, y):
    return (x**2 - 1.0) ** 2 + TILT * x + y**2


def _two_minima_gradient(p):
    x, y = p
    return np.array([4.0 * x * (x**2 - 1.0) + TILT, 2.0 * y])


def _two_minima_points() -> tuple[tuple[float, float], ...]:
    """The minima of ``(x^2 - 1)^2 + 0.4 x + y^2``: y = 0 and the outer roots of
    ``4x^3 - 4x + 0.4 = 0`` (the middle root is the hump between them); global first."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, TILT]).real)
    outer = [float(roots[0]), float(roots[2])]
    outer.sort(key=lambda x: _two_minima_value(x, 0.0))
    return tuple((x, 0.0) for x in outer)


#: The valley's race settings, shared by its rotated twin so that the two races
#: differ only in the turn: SGD and Momentum then take the same steps on both.
VALLEY_RACE: dict[str, Any] = {
    "learning_rates": {"sgd": 0.9, "momentum": 1.0, "adagrad": 1.5, "rmsprop": 0.1, "adam": 0.3},
    "steps": 150,
    "momentum": 0.5,
}

SURFACES: dict[str, Surface] = {
    s.key: s
    for s in (
        Surface(
            key="valley",
            label=N_("Long narrow valley"),
            blurb=(
                N_("An ill-conditioned quadratic, 20 times steeper across the valley (y) than "
                "along it (x). SGD's rate is capped by the steep direction, so it crawls "
                "along (70 steps); Momentum at μ 0.5, η 1 builds speed along it while the "
                "swings across die out (18); AdaGrad scales each coordinate, and here the "
                "steep direction is one (50). RMSProp hovers near the minimum.")
            ),
            formula=r"f(x, y) = \frac{x^2}{20} + y^2",
            value=_valley_value,
            gradient=_valley_gradient,
            start=(-7.0, 2.0),
            minima=((0.0, 0.0),),
            x_range=(-10.0, 10.0),
            y_range=(-4.0, 4.0),
            **VALLEY_RACE,
        ),
        Surface(
            key="rotated-valley",
            label=N_("Rotated valley"),
            blurb=(
                N_("The same valley turned 45°, so its steep direction is no coordinate. SGD and "
                "Momentum take the steps they took before (70 and 18): they do not see the "
                "axes. AdaGrad rescales each coordinate, which no longer matches the valley: "
                "139 steps instead of 50.")
            ),
            formula=r"f(x, y) = \frac{(x + y)^2}{40} + \frac{(y - x)^2}{2}",
            value=_rotated_valley_value,
            gradient=_rotated_valley_gradient,
            start=(-4.5 * math.sqrt(2.0), -2.5 * math.sqrt(2.0)),  # the valley's (-7, 2), turned
            minima=((0.0, 0.0),),
            x_range=(-8.0, 8.0),
            y_range=(-8.0, 8.0),
            **VALLEY_RACE,
        ),
        Surface(
            key="rosenbrock",
            label=N_("Rosenbrock"),
            blurb=(
                N_("A curved, flat-bottomed banana valley: finding the valley is easy, following "
                "it to the minimum at (1, 1) is slow.")
            ),
            formula=r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
            value=_rosenbrock_value,
            gradient=_rosenbrock_gradient,
            start=(-1.5, 2.0),
            minima=((1.0, 1.0),),
            x_range=(-2.0, 2.0),
            y_range=(-1.0, 3.0),
            learning_rates={"sgd": 0.002, "momentum": 0.002, "adagrad": 0.5, "rmsprop": 0.01,
                            "adam": 0.05},
            steps=1500,
            log_contours=True,
        ),
        Surface(
            key="saddle",
            label=N_("Saddle"),
            blurb=(
                N_("The race starts next to a saddle point, where the gradient is almost zero "
                "along the way out (y): SGD creeps off it (139 steps), methods that rescale "
                "by the gradient's size leave at once (AdaGrad 2, Adam 6). Leaving is not "
                "arriving: RMSProp, its steps held near η, reaches a minimum last.")
            ),
            formula=r"f(x, y) = \tfrac{1}{2}x^2 + \tfrac{1}{4}y^4 - \tfrac{1}{2}y^2",
            value=_saddle_value,
            gradient=_saddle_gradient,
            start=(1.8, 1e-6),
            minima=((0.0, 1.0), (0.0, -1.0)),
            x_range=(-2.0, 2.0),
            y_range=(-1.6, 1.6),
            learning_rates={"sgd": 0.1, "momentum": 0.1, "adagrad": 0.5, "rmsprop": 0.01,
                            "adam": 0.1},
            steps=300,
            escape=(1, 0.5),
        ),
        Surface(
            key="two-minima",
            label=N_("Two minima"),
            blurb=(
                N_("A shallow minimum on the right and a deeper one on the left, behind a "
                "hump. Plain descent stops in the first one it meets; momentum can carry "
                "a path over the hump.")
            ),
            formula=r"f(x, y) = (x^2 - 1)^2 + 0.4\,x + y^2",
            value=_two_minima_value,
            gradient=_two_minima_gradient,
            start=(1.9, 1.5),
            minima=_two_minima_points(),
            x_range=(-2.0, 2.2),
            y_range=(-1.8, 1.8),
            learning_rates={"sgd": 0.02, "momentum": 0.02, "adagrad": 0.5, "rmsprop": 0.01,
                            "adam": 0.1},
            steps=200,
        ),
    )
}


# --------------------------------------------------------------------------- 2-D race


@dataclass
class Path:
    """One optimizer's walk over a surface: the points visited, ``points[0]`` the start."""

    name: str
    learning_rate: float
    points: np.ndarray  # (n_steps_taken + 1, 2)
    diverged_at: int | None = None  # the step whose point left the picture or was not finite

    @property
    def label(self) -> str:
        return _(OPTIMIZER_LABELS.get(self.name, self.name))


def make_2d_optimizer(name: str, learning_rate: float, momentum: float = 0.9,
                      beta1: float = 0.9, beta2: float = 0.999):
    """The engine's optimizer ``name`` over 2 parameters (float64), with the page's
    momentum and Adam betas set on it."""
    optimizer = make_optimizer(name, 2, np.float64, float(learning_rate))
    if name == "momentum":
        optimizer.momentum = float(momentum)
    elif name == "adam":
        optimizer.beta1, optimizer.beta2 = float(beta1), float(beta2)
    return optimizer


def optimizer_path(surface: Surface, name: str, learning_rate: float, steps: int,
                   momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999) -> Path:
    """Step the engine's optimizer ``name`` from the surface's start for ``steps`` steps.

    Stops early, with ``diverged_at`` set, when a point is not finite or leaves
    ``ESCAPE_RADIUS`` (that point is not kept).
    """
    optimizer = make_2d_optimizer(name, learning_rate, momentum, beta1, beta2)
    params = np.array(surface.start, dtype=np.float64)
    out = np.empty(2, dtype=np.float64)
    points = [params.copy()]
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, int(steps) + 1):
            optimizer.update(params, surface.gradient(params), out)
            params, out = out, params  # the update wrote the new point into ``out``
            if not np.all(np.isfinite(params)) or np.abs(params).max() > ESCAPE_RADIUS:
                diverged_at = step
                break
            points.append(params.copy())
    return Path(name, float(learning_rate), np.array(points), diverged_at)


def race(surface: Surface, learning_rates: dict[str, float], steps: int,
         momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
         names: Sequence[str] = OPTIMIZER_NAMES) -> list[Path]:
    """Every optimizer's path from the same start, each at its learning rate."""
    return [optimizer_path(surface, name, learning_rates[name], steps, momentum, beta1, beta2)
            for name in names]


def distances_to_minimum(surface: Surface, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each point: the distance to the nearest minimum and which minimum that is."""
    minima = np.asarray(surface.minima, dtype=np.float64)
    gaps = np.linalg.norm(points[:, None, :] - minima[None, :, :], axis=2)
    return gaps.min(axis=1), gaps.argmin(axis=1)


def steps_to_tolerance(surface: Surface, path: Path, tolerance: float) -> tuple[int | None, int]:
    """The first step from which the path stays within ``tolerance`` of a minimum, and
    which minimum (index into ``surface.minima``); ``(None, nearest at the end)`` if it
    never settles there."""
    gaps, which = distances_to_minimum(surface, path.points)
    inside = gaps <= tolerance
    if not inside[-1] or path.diverged_at is not None:
        return None, int(which[-1])
    outside = np.flatnonzero(~inside)
    first = 0 if outside.size == 0 else int(outside[-1]) + 1
    return first, int(which[first])


def race_table(surface: Surface, paths: Sequence[Path], tolerance: float) -> list[dict]:
    """One row per optimizer: steps to within ``tolerance`` of a minimum (and which),
    where it ended and its loss there."""
    rows = []
    best = surface.minimum_value
    for path in paths:
        steps, which = steps_to_tolerance(surface, path, tolerance)
        end = path.points[-1]
        gap, _unused = distances_to_minimum(surface, path.points[-1:])
        if path.diverged_at is not None:
            verdict = _("diverged at step {diverged_at}").format(diverged_at=path.diverged_at)
        elif steps is None:
            verdict = _("not within {points} steps").format(points=len(path.points) - 1)
        else:
            verdict = str(steps)
        row = {
            "optimizer": path.label,
            "learning rate": path.learning_rate,
            f"steps to within {tolerance:g}": verdict,
            "ends at": f"({_coordinate(end[0])}, {_coordinate(end[1])})",
            "distance to a minimum": float(gap[0]),
            "f − f_min at the end": float(surface.value(end[0], end[1]) - best),
        }
        if surface.escape is not None:
            axis, far = surface.escape
            left = left_saddle_at(path, axis, far)
            row[escape_title(surface)] = _("not yet") if left is None else str(left)
        if len(surface.minima) > 1:
            _unused, nearest = distances_to_minimum(surface, path.points[-1:])
            index = which if steps is not None else int(nearest[0])
            row["minimum"] = _minimum_name(surface, index)
        rows.append(row)
    return rows


#: The race tables' column keys and words, for the catalogue (shown through
#: ``i18n.translate_rows``; the rows keep these English keys).
TABLE_WORDS = (N_("optimizer"), N_("learning rate"), N_("ends at"), N_("distance to a minimum"),
               N_("f − f_min at the end"), N_("minimum"), N_("best validation accuracy"),
               N_("at epoch"), N_("test accuracy there"), N_("seconds"), N_("diverged"))


def escape_title(surface: Surface) -> str:
    axis, far = surface.escape
    return _("left the saddle (|{value}| > {far:g}) at step").format(value='xy'[axis], far=far)


def left_saddle_at(path: Path, axis: int, far: float) -> int | None:
    """The first step whose point is more than ``far`` out along ``axis`` (the way off
    the saddle); None if it never gets there."""
    out = np.flatnonzero(np.abs(path.points[:, axis]) > far)
    return int(out[0]) if out.size else None


def momentum_map(surface: Surface, learning_rates: Sequence[float], momenta: Sequence[float],
                 steps: int, tolerance: float) -> np.ndarray:
    """Momentum's steps to within ``tolerance`` (:func:`steps_to_tolerance`) for every
    ``(momentum, learning rate)``: ``(len(momenta), len(learning_rates))``, NaN where it
    does not settle within ``steps``. Each cell is the engine's optimizer stepped by
    :func:`optimizer_path`; a few seconds per thousand cells, so the page reads the
    bench's saved grid."""
    grid = np.full((len(momenta), len(learning_rates)), np.nan)
    for i, mu in enumerate(momenta):
        for j, lr in enumerate(learning_rates):
            found, _unused = steps_to_tolerance(
                surface, optimizer_path(surface, "momentum", lr, steps, momentum=mu), tolerance)
            if found is not None:
                grid[i, j] = found
    return grid


def _coordinate(value: float) -> str:
    return f"{round(float(value), 3) + 0.0:.3f}"  # + 0.0: no "-0.000"


def _minimum_name(surface: Surface, index: int) -> str:
    x, y = surface.minima[index]
    kind = "global" if index == 0 else "local"
    if surface.key == "saddle":
        kind = _("one of two equal")
    return f"{kind} ({x:.2f}, {y:.2f})"


def contour_grid(surface: Surface, resolution: int = 70) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs, ys, z)`` for the contour plot; ``z`` is ``f - f_min`` (or its ``log1p``)."""
    xs = np.linspace(*surface.x_range, resolution)
    ys = np.linspace(*surface.y_range, resolution)
    gx, gy = np.meshgrid(xs, ys)
    z = surface.value(gx, gy) - surface.minimum_value
    if surface.log_contours:
        z = np.log1p(np.maximum(z, 0.0))
    return xs, ys, z


# --------------------------------------------------------------------------- network race

#: Each optimizer's usual learning rate for this MLP on digits (batch mean loss):
#: PyTorch's defaults for Adam, AdaGrad and momentum (0.01 with mu = 0.9 moves like
#: SGD at 0.1), Keras's for RMSProp, and 0.1 for plain SGD.
USUAL_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "adagrad": 0.01, "rmsprop": 0.001,
                        "adam": 0.001}
TARGET_ACCURACY = 0.95
#: The last fifth of the training digits is held out as validation data: every choice
#: (the best epoch, the epochs to the target) is made on it, and the test set is only
#: read at the epoch chosen.
VALIDATION_SHARE = 0.2
#: Test accuracies closer than this many points count as a tie.
TIE_POINTS = 2.0


def validation_split(n_train: int, share: float = VALIDATION_SHARE) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """``(fit_rows, validation_rows)`` of the training set: the last ``share`` held out."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"the validation share must be between 0 and 1, not {share!r}")
    cut = n_train - max(1, int(round(n_train * share)))
    return np.arange(cut), np.arange(cut, n_train)


@dataclass
class NetworkRace:
    """The same MLP, same seed, trained once per optimizer by the engine's trainer on the
    training digits minus a validation fifth; the test accuracy is recorded per epoch
    but read only at the epoch the validation data picks."""

    learning_rates: dict[str, float]
    epochs: int = 20
    hidden: int = 64
    batch_size: int = 32
    seed: int = 0
    names: tuple[str, ...] = OPTIMIZER_NAMES
    trainers: dict = field(default_factory=dict)
    #: Test accuracy after each epoch, per optimizer (read only at the chosen epoch).
    test_accuracy: dict = field(default_factory=dict)

    def start(self, dataset) -> None:
        """Build one network per optimizer (identical starting weights) and its trainer."""
        self.trainers, self.test_accuracy = {}, {}
        self._test = (dataset.X_test, dataset.y_test)
        fit_rows, held_out = validation_split(len(dataset.y_train))
        validation = (dataset.X_train[held_out], dataset.y_train[held_out])
        for name in self.names:
            net = MLP([dataset.n_features, self.hidden, dataset.n_classes], activation="relu",
                      seed=self.seed)
            self.trainers[name] = net.trainer(
                dataset.X_train, dataset.y_train, epochs=self.epochs,
                batch_size=self.batch_size, optimizer=name,
                learning_rate=self.learning_rates[name], rows=fit_rows,
                validation_data=validation, health_samples=0,
            )
            self.test_accuracy[name] = []

    @property
    def started(self) -> bool:
        return bool(self.trainers)

    @property
    def done(self) -> bool:
        return self.started and all(t.done for t in self.trainers.values())

    @property
    def progress(self) -> float:
        if not self.trainers:
            return 0.0
        return sum(1.0 if t.done else t.progress for t in self.trainers.values()) / len(
            self.trainers)

    def step(self, seconds_each: float = 0.03,
             between: Callable[[], None] = lambda: None) -> None:
        """Train every unfinished network for about ``seconds_each``, calling
        ``between()`` after each (the page updates its progress bar there)."""
        for name, trainer in self.trainers.items():
            if not trainer.done:
                trainer.step(max_seconds=seconds_each)
                self._score_test(name)
                between()

    def _score_test(self, name: str) -> None:
        """The test accuracy of an epoch that just ended (a step ends at most one epoch
        when it is short; a long one may end several, scored with the final weights)."""
        trainer, scores = self.trainers[name], self.test_accuracy[name]
        while len(scores) < len(trainer.history.val_accuracy):
            scores.append(float(trainer.net.evaluate(*self._test)[1]))

    def curves(self, metric: str = "val_loss") -> list[tuple[str, list[float]]]:
        return [(OPTIMIZER_LABELS[name], list(getattr(t.history, metric)))
                for name, t in self.trainers.items()]

    def table(self, target: float = TARGET_ACCURACY) -> list[dict]:
        """One row per optimizer; every choice made on the validation data."""
        rows = []
        for name, trainer in self.trainers.items():
            history = trainer.history
            reached = epochs_to_reach(history.val_accuracy, target)
            if reached is not None:
                verdict = str(reached)
            elif history.diverged:
                verdict = "diverged"
            else:
                verdict = (_("not in {epochs}") if trainer.done else _("not in {epochs} yet")).format(
                    epochs=len(history.val_accuracy))
            best = best_epoch(history.val_accuracy)
            scores = self.test_accuracy.get(name, [])
            rows.append({
                "optimizer": OPTIMIZER_LABELS[name],
                "learning rate": trainer.net.learning_rate,
                f"epochs to {target:.0%} (validation)": verdict,
                "best validation accuracy": (history.val_accuracy[best - 1] if best
                                             else math.nan),
                "at epoch": best or 0,
                "test accuracy there": scores[best - 1] if best and best <= len(scores)
                else math.nan,
                "seconds": round(sum(history.seconds), 2),
            })
        return rows

    def verdict(self, target: float = TARGET_ACCURACY) -> str:
        """Whether the optimizers differ here, read off the table: who reaches the target
        on the validation data and when, and the spread of the test accuracies at the
        epochs the validation data picks (under 2 points: a tie)."""
        rows = self.table(target)
        tests = [r["test accuracy there"] for r in rows if not math.isnan(r["test accuracy there"])]
        if not tests:
            return ""
        reached = {OPTIMIZER_LABELS[n]: epochs_to_reach(t.history.val_accuracy, target)
                   for n, t in self.trainers.items()}
        made = [e for e in reached.values() if e is not None]
        when = "" if not made else (f"{min(made)}" if min(made) == max(made)
                                    else f"{min(made)} to {max(made)}")
        missed = [name for name, e in reached.items() if e is None]
        if not missed:
            speed = _("All five reach {target:.0%} on the validation data, after {when} epochs.").format(target=target, when=when)
        else:
            speed = (_("{items} never reach{value} "
                     "{target:.0%} on the validation data in {epochs} epochs").format(items=', '.join(missed), value='es' if len(missed) == 1 else '', target=target, epochs=self.epochs)
                     + (_("; the others after {when}.").format(when=when) if made else "."))
        spread = (max(tests) - min(tests)) * 100
        accuracy = (_(" The test accuracies at the epochs the validation data picks span "
                    "{spread:.1f} points: ").format(spread=spread)
                    + (_("a tie on accuracy here.") if spread < TIE_POINTS
                       else _("here the optimizers differ.")))
        return speed + accuracy


def best_epoch(accuracies: Sequence[float]) -> int | None:
    """The first epoch (1-based) with the highest accuracy; None if there is none."""
    values = [a for a in accuracies if not math.isnan(a)]
    if not values:
        return None
    return list(accuracies).index(max(values)) + 1


def epochs_to_reach(accuracies: Sequence[float], target: float = TARGET_ACCURACY) -> int | None:
    """The first epoch (1-based) whose accuracy is at least ``target``; None if none."""
    for epoch, value in enumerate(accuracies, start=1):
        if value >= target:
            return epoch
    return None
