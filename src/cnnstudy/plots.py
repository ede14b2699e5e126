"""Figures of the study: labelled, and readable in grey-scale (markers and line styles carry
the distinctions, colour only repeats them)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cnnstudy.files import atomic_path  # noqa: E402

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p"]
LINESTYLES = ["-", "--", ":", "-."]


def save(figure: plt.Figure, path: Path | str) -> None:
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, format=Path(path).suffix.lstrip(".") or "png")
    plt.close(figure)


def styles(count: int) -> list[dict[str, object]]:
    """Marker, line style and a viridis colour (monotone in grey) for each series."""
    colours = plt.cm.viridis(np.linspace(0, 0.9, max(count, 1)))
    combos = itertools.cycle(itertools.product(LINESTYLES, MARKERS))
    return [{"linestyle": ls, "marker": mk, "color": colours[i]} for i, (ls, mk) in zip(range(count), combos)]


def distortion_preview(originals: np.ndarray, distorted: np.ndarray, path: Path | str, title: str) -> None:
    """Originals in the top row, each distorted copy in a row below."""
    rows = 1 + len(distorted)
    count = originals.shape[0]
    figure, axes = plt.subplots(rows, count, figsize=(1.1 * count, 1.2 * rows + 0.4), squeeze=False)
    for column in range(count):
        for row in range(rows):
            image = originals[column] if row == 0 else distorted[row - 1, column]
            axis = axes[row, column]
            axis.imshow(image, cmap="gray_r", vmin=0, vmax=255)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[0, column].set_title(f"#{column}", fontsize=8)
    for row in range(rows):
        axes[row, 0].set_ylabel("original" if row == 0 else f"copy {row}", fontsize=8)
    figure.suptitle(title, fontsize=10)
    save(figure, path)


def separable_sweep(frame: pd.DataFrame, path: Path | str) -> None:
    """Measured latency ratio and counted MAC ratio against the analytic 1/N + 1/D_k^2."""
    figure, axis = plt.subplots(figsize=(6, 4.5))
    analytic = frame["analytic_ratio"]
    axis.plot(analytic, frame["counted_ratio"], "s", mfc="none", color="black", label="counted MACs ratio")
    axis.plot(analytic, frame["measured_ratio"], "o", color="0.4", label="measured latency ratio (CPU)")
    low, high = min(analytic.min(), frame["measured_ratio"].min()), max(analytic.max(), frame["measured_ratio"].max())
    line = np.geomspace(low * 0.8, high * 1.25, 50)
    axis.plot(line, line, "--", color="0.5", label="y = 1/N + 1/D_k^2")
    for row in frame.itertuples():
        axis.annotate(f"M{int(row.M)} N{int(row.N)} k{int(row.D_k)} f{int(row.D_f)}",
                      (row.analytic_ratio, row.measured_ratio),
                      fontsize=6, xytext=(3, 3), textcoords="offset points")
    axis.set_xscale("log")
    axis.set_yscale("log")
    for scale in (axis.xaxis, axis.yaxis):
        scale.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        scale.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axis.set_xlabel("analytic cost ratio 1/N + 1/D_k^2")
    axis.set_ylabel("separable / regular")
    axis.set_title("Depth-wise separable vs regular convolution")
    axis.legend(fontsize=8)
    axis.grid(True, which="both", alpha=0.3)
    save(figure, path)


def accuracy_by_variant(summary: pd.DataFrame, path: Path | str) -> None:
    """Mean test accuracy with its 95% CI per variant; the original report's value beside it."""
    frame = summary.sort_values("accuracy_mean")
    figure, axis = plt.subplots(figsize=(7, 0.45 * len(frame) + 1.5))
    y = np.arange(len(frame))
    lower = (frame["accuracy_mean"] - frame["accuracy_ci_low"]).fillna(0)
    upper = (frame["accuracy_ci_high"] - frame["accuracy_mean"]).fillna(0)
    axis.errorbar(frame["accuracy_mean"] * 100, y, xerr=[lower * 100, upper * 100], fmt="o", color="black",
                  capsize=3, label="ours: mean, 95% CI over seeds")
    reported = frame["reported_accuracy"].astype(float)
    axis.plot(reported * 100, y, "D", mfc="white", color="0.45", label="the original report's accuracy")
    axis.set_yticks(y, frame["variant"])
    axis.set_xlabel("test accuracy (%)")
    axis.set_title("Accuracy per variant")
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    axis.grid(True, axis="x", alpha=0.3)
    save(figure, path)


def pareto_front(cost: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Indices of points no other point beats on both lower cost and higher accuracy."""
    front = []
    for i in range(len(cost)):
        dominated = np.any((cost <= cost[i]) & (accuracy >= accuracy[i]) & ((cost < cost[i]) | (accuracy > accuracy[i])))
        if not dominated:
            front.append(i)
    return np.array(sorted(front, key=lambda i: cost[i]), dtype=int)


def accuracy_vs_cost(summary: pd.DataFrame, path: Path | str) -> None:
    """Accuracy against MACs and against measured latency, Pareto fronts marked."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    panels = [("macs", "MACs per image (log)"), ("latency_ms", "measured latency, batch 1 (ms, log)")]
    looks = styles(len(summary))
    for axis, (column, label) in zip(axes, panels):
        cost = summary[column].to_numpy(float)
        accuracy = summary["accuracy_mean"].to_numpy(float) * 100
        for i, name in enumerate(summary["variant"]):
            axis.plot(cost[i], accuracy[i], linestyle="none", marker=looks[i]["marker"], color=looks[i]["color"],
                      markersize=8, label=name)
        front = pareto_front(cost, accuracy)
        axis.plot(cost[front], accuracy[front], "-", color="black", lw=1, label="Pareto front")
        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.set_xlabel(label)
        axis.set_ylabel("mean test accuracy (%)")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_title("Accuracy vs compute")
    axes[1].set_title("Accuracy vs latency")
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    save(figure, path)


def learning_curves(histories: pd.DataFrame, path: Path | str) -> None:
    """Validation accuracy and training loss per epoch, mean over seeds, one line per variant."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    mean = histories.groupby(["variant", "epoch"], as_index=False).mean(numeric_only=True)
    variants = sorted(mean["variant"].unique())
    for look, name in zip(styles(len(variants)), variants):
        rows = mean[mean["variant"] == name]
        axes[0].plot(rows["epoch"], rows["val_accuracy"] * 100, label=name, **look)
        axes[1].plot(rows["epoch"], rows["train_loss"], label=name, **look)
    axes[0].set_ylabel("validation accuracy (%)")
    axes[1].set_ylabel("training loss")
    axes[1].set_yscale("log")
    for axis in axes:
        axis.set_xlabel("epoch")
        axis.grid(True, alpha=0.3)
        axis.xaxis.get_major_locator().set_params(integer=True)
    axes[0].set_title("Validation accuracy per epoch")
    axes[1].set_title("Training loss per epoch")
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    save(figure, path)


def confusion(matrix: np.ndarray, path: Path | str, title: str) -> None:
    """Counts with their numbers written in, on a grey scale."""
    matrix = np.asarray(matrix)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    axis.imshow(np.log1p(matrix), cmap="Greys")
    threshold = np.log1p(matrix).max() / 2
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            axis.text(j, i, str(count), ha="center", va="center", fontsize=7,
                      color="white" if np.log1p(count) > threshold else "black")
    ticks = range(matrix.shape[0])
    axis.set_xticks(ticks)
    axis.set_yticks(ticks)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title, fontsize=10)
    save(figure, path)


def misclassified(images: np.ndarray, true: Sequence[int], predicted: Sequence[int],
                  confidence: Sequence[float], path: Path | str, title: str, columns: int = 8) -> None:
    """A grid of misclassified test digits with true / predicted labels."""
    count = max(len(images), 1)
    rows = int(np.ceil(count / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows + 0.5), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, image, t, p, c in zip(axes.flat, images, true, predicted, confidence):
        axis.imshow(image, cmap="gray_r", vmin=0, vmax=255)
        axis.set_title(f"true {t} / pred {p}\n({c:.0%})", fontsize=7)
    if not len(images):
        axes[0, 0].text(0, 0.5, "no misclassified digits", fontsize=9)
    figure.suptitle(title, fontsize=10)
    save(figure, path)
