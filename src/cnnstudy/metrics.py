"""Classification metrics of a trained model on a test split, computed from scratch.

Macro averages follow scikit-learn's convention (a class with no predictions gets precision 0),
the usual source of figures like the original report's precision / recall / F1 (it does not say how it computed them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cnnstudy.runtime import autocast, memory_format, normalise, predict
from cnnstudy.timing import median_seconds


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts [true, predicted]."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels.astype(np.int64), predictions.astype(np.int64)), 1)
    return matrix


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)


def classification_metrics(labels: np.ndarray, predictions: np.ndarray, classes: int = 10) -> dict[str, Any]:
    """Accuracy, macro and per-class precision / recall / F1, and the confusion matrix."""
    matrix = confusion_matrix(labels, predictions, classes)
    true_positive = np.diag(matrix).astype(float)
    precision = safe_divide(true_positive, matrix.sum(axis=0).astype(float))
    recall = safe_divide(true_positive, matrix.sum(axis=1).astype(float))
    f1 = safe_divide(2 * precision * recall, precision + recall)
    return {
        "accuracy": float(true_positive.sum() / matrix.sum()),
        "precision_macro": float(precision.mean()),
        "recall_macro": float(recall.mean()),
        "f1_macro": float(f1.mean()),
        "per_class": {
            str(c): {"precision": float(precision[c]), "recall": float(recall[c]), "f1": float(f1[c]),
                     "support": int(matrix[c].sum())}
            for c in range(classes)
        },
        "confusion_matrix": matrix.tolist(),
        "count": int(matrix.sum()),
    }


def inference_speed(model: torch.nn.Module, images: torch.Tensor, batch_size: int, device: torch.device,
                    precision: str = "fp32", repeats: int = 20, warmup: int = 3) -> dict[str, float]:
    """Throughput (images/s at ``batch_size``, median of 3) and median single-image latency (ms)."""
    model.eval()
    batch = normalise(images[:batch_size].to(device), memory_format(device, precision, model))
    single = batch[:1]

    with torch.inference_mode(), autocast(device, precision):
        batch_seconds = median_seconds(lambda: model(batch), repeats=3, warmup=1, device=device)
        single_seconds = median_seconds(lambda: model(single), repeats=repeats, warmup=warmup, device=device)
    return {
        "throughput_images_per_s": len(batch) / batch_seconds,
        "latency_ms": 1e3 * single_seconds,
        "throughput_batch_size": len(batch),
    }


def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, batch_size: int,
             device: torch.device, precision: str = "fp32") -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Metrics, predicted classes and confidences of a model on a split (float32 logits)."""
    logits = predict(model, torch.from_numpy(images), batch_size, device, precision).cpu()
    target = torch.from_numpy(labels).long()
    probabilities = logits.softmax(dim=1)
    predicted = probabilities.argmax(dim=1).numpy()
    metrics = classification_metrics(labels, predicted, classes=logits.shape[1])
    metrics["loss"] = float(F.cross_entropy(logits, target))
    return metrics, predicted, probabilities.max(dim=1).values.numpy()
