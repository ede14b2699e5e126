import numpy as np
import pytest
import torch
from torch import nn

from cnnstudy.metrics import classification_metrics, confusion_matrix, evaluate, inference_speed


def test_against_a_hand_computed_confusion_matrix():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2, 2, 2, 0, 2])
    matrix = confusion_matrix(labels, predicted, classes=3)
    assert matrix.tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 4]]
    m = classification_metrics(labels, predicted, classes=3)
    precision = [2 / 3, 1 / 2, 4 / 5]
    recall = [2 / 3, 1 / 2, 4 / 5]
    f1 = [2 * p * r / (p + r) for p, r in zip(precision, recall)]
    assert m["accuracy"] == pytest.approx(0.7)
    assert m["precision_macro"] == pytest.approx(np.mean(precision))
    assert m["recall_macro"] == pytest.approx(np.mean(recall))
    assert m["f1_macro"] == pytest.approx(np.mean(f1))
    assert m["per_class"]["2"] == {"precision": 0.8, "recall": 0.8, "f1": pytest.approx(0.8), "support": 5}


def test_class_never_predicted_has_zero_precision():
    m = classification_metrics(np.array([0, 1, 1]), np.array([0, 0, 0]), classes=2)
    assert m["per_class"]["1"]["precision"] == 0.0 and m["per_class"]["1"]["recall"] == 0.0
    assert m["precision_macro"] == pytest.approx((1 / 3 + 0) / 2)  # class 0: 1 of 3 predictions right


def test_evaluate_a_fixed_model():
    images = np.zeros((20, 28, 28), dtype=np.uint8)
    labels = np.arange(20) % 2
    images[labels == 1] = 255

    class Threshold(nn.Module):
        def forward(self, x):
            score = x.mean(dim=(1, 2, 3))
            return torch.stack([-score, score], dim=1)

    metrics, predicted, confidence = evaluate(Threshold(), images, labels, batch_size=7, device=torch.device("cpu"))
    assert metrics["accuracy"] == 1.0 and predicted.tolist() == labels.tolist()
    assert metrics["confusion_matrix"] == [[10, 0], [0, 10]]
    assert metrics["loss"] < 0.2 and (confidence > 0.5).all()


def test_inference_speed_reports_positive_numbers():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    speed = inference_speed(model, torch.zeros(16, 28, 28, dtype=torch.uint8), 8, torch.device("cpu"), repeats=3)
    assert speed["throughput_images_per_s"] > 0 and speed["latency_ms"] > 0 and speed["throughput_batch_size"] == 8
