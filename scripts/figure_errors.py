"""Figures of the best variant's errors: confusion matrix and misclassified digits."""

import numpy as np
import pandas as pd

from cnnstudy import plots
from cnnstudy.datasets import load_split
from cnnstudy.files import read_json
from cnnstudy.jobs import job
from cnnstudy.study import by_run

with job(snakemake.log[0], snakemake.params.code) as log:
    best = pd.read_csv(snakemake.input.summary).iloc[0]["variant"]
    runs = snakemake.params.runs
    metrics, predictions = by_run(runs, snakemake.input.metrics), by_run(runs, snakemake.input.predictions)
    matrices = [read_json(path)["confusion_matrix"] for key, path in sorted(metrics.items()) if key[0] == best]
    seeds = len(matrices)
    plots.confusion(np.sum(matrices, axis=0), snakemake.output.confusion,
                    f"Confusion matrix of {best} (summed over {seeds} seed(s))")
    first = min(key for key in predictions if key[0] == best)
    frame = pd.read_csv(predictions[first])
    wrong = frame[frame["label"] != frame["predicted"]]
    wrong = wrong.sort_values("confidence", ascending=False).head(snakemake.params.shown)
    images, _, _ = load_split(snakemake.input.test)
    plots.misclassified(images[wrong["index"].to_numpy()], wrong["label"], wrong["predicted"], wrong["confidence"],
                        snakemake.output.misclassified,
                        f"Misclassified test digits of {best} (seed {first[1]}), most confident first")
    log(f"best variant {best}: {len(wrong)} errors shown")
