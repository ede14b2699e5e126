"""Figures of the best variant's errors: confusion matrix and misclassified digits."""

import numpy as np

from cnnstudy import plots
from cnnstudy.datasets import load_split
from cnnstudy.jobs import job
from cnnstudy.readers import read_json, read_predictions, read_table
from cnnstudy.study import by_run

with job(snakemake.log[0], snakemake.params.code) as log:
    best = read_table(snakemake.input.summary, ("variant",), min_rows=1).iloc[0]["variant"]
    runs = snakemake.params.runs
    metrics, predictions = by_run(runs, snakemake.input.metrics), by_run(runs, snakemake.input.predictions)
    matrices = [read_json(path, ("confusion_matrix",))["confusion_matrix"] for key, path in sorted(metrics.items()) if key[0] == best]
    seeds = len(matrices)
    plots.confusion(np.sum(matrices, axis=0), snakemake.output.confusion,
                    f"Confusion matrix of {best} (summed over {seeds} seed(s))")
    first = min(key for key in predictions if key[0] == best)
    images, _, _ = load_split(snakemake.input.test)
    frame = read_predictions(predictions[first], len(images))
    wrong = frame[frame["label"] != frame["predicted"]]
    wrong = wrong.sort_values("confidence", ascending=False).head(snakemake.params.shown)
    plots.misclassified(images[wrong["index"].to_numpy()], wrong["label"], wrong["predicted"], wrong["confidence"],
                        snakemake.output.misclassified,
                        f"Misclassified test digits of {best} (seed {first[1]}), most confident first")
    log(f"best variant {best}: {len(wrong)} errors shown")
