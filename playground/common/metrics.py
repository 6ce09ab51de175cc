"""Test-set evaluation in plain NumPy: confusion matrix, per-class accuracy, mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``cm[t, p]`` counts the images of true class ``t`` predicted as ``p``."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} true labels but {y_pred.size} predictions")
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Fraction of each true class predicted right (NaN for a class with no images)."""
    cm = np.asarray(cm)
    totals = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / np.maximum(totals, 1), np.nan)


@dataclass(frozen=True)
class Evaluation:
    """Everything the Inspect page shows about a model on a test set."""

    accuracy: float
    confusion: np.ndarray
    class_accuracy: np.ndarray
    mistakes: np.ndarray  # indices into the test set, most confident mistakes first
    predicted: np.ndarray
    confidence: np.ndarray  # probability of the predicted class


def evaluate(probabilities: np.ndarray, y_true: np.ndarray) -> Evaluation:
    """Summarise predicted class probabilities ``(n, n_classes)`` against true labels."""
    probabilities = np.asarray(probabilities)
    y_true = np.asarray(y_true, dtype=np.int64)
    if probabilities.ndim != 2 or probabilities.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"probabilities of shape {probabilities.shape} do not match {y_true.size} labels"
        )
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(predicted)), predicted].astype(float)
    cm = confusion_matrix(y_true, predicted, probabilities.shape[1])
    wrong = np.flatnonzero(predicted != y_true)
    mistakes = wrong[np.argsort(-confidence[wrong], kind="stable")]
    accuracy = float(np.mean(predicted == y_true)) if y_true.size else float("nan")
    return Evaluation(accuracy, cm, per_class_accuracy(cm), mistakes, predicted, confidence)
