"""Evaluate one checkpoint on the test split: metrics, predictions and inference speed.

metrics.json holds only what the model decides (identical across reruns in deterministic mode);
timings go to speed.json.
"""

import pandas as pd
import torch

from cnnstudy.checkpoint import load_checkpoint
from cnnstudy.datasets import load_split
from cnnstudy.files import atomic_path, write_json
from cnnstudy.jobs import job
from cnnstudy.metrics import evaluate, inference_speed
from cnnstudy.runtime import pick_device, pick_precision, place

# the declared thread count, not the cores Snakemake grants: threads change the logits
with job(snakemake.log[0], snakemake.params.code, snakemake.params.evaluation["threads"],
         gpu=snakemake.resources.gpu > 0,
         jobs_per_gpu=snakemake.resources.jobs_per_gpu, granted=snakemake.threads) as log:
    wildcards, settings = snakemake.wildcards, snakemake.params.evaluation
    model, meta = load_checkpoint(snakemake.input.checkpoint, wildcards.variant, dict(snakemake.params.model))
    device = pick_device(snakemake.params.device)
    precision = pick_precision(snakemake.params.precision, device)
    place(model, device, precision)
    images, labels, _ = load_split(snakemake.input.test)
    log(f"evaluating {wildcards.variant} seed {wildcards.seed} on {len(labels)} test images, "
        f"device {device}, precision {precision}")
    metrics, predicted, confidence = evaluate(model, images, labels, settings["batch_size"], device, precision)
    speed = inference_speed(model, torch.from_numpy(images), settings["speed_batch"], device,
                            precision, repeats=settings["latency_repeats"])
    metrics.update({
        "dataset": wildcards.dataset, "variant": wildcards.variant, "seed": int(wildcards.seed),
        # what else decides these bytes: thread count, CPU instruction set, torch version
        "device": str(device), "precision": precision, "torch": str(torch.__version__),
        "threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "training": {key: meta.get(key) for key in ("epochs", "train_images", "device", "precision", "threads",
                                                     "cpu_capability", "fingerprint")},
    })
    speed.update({"threads": torch.get_num_threads(), "device": str(device),
                  "training_wall_seconds": meta["wall_seconds"]})
    with atomic_path(snakemake.output.predictions) as tmp:
        pd.DataFrame({"index": range(len(labels)), "label": labels, "predicted": predicted,
                      "confidence": confidence.round(5)}).to_csv(tmp, index=False)
    write_json(snakemake.output.speed, speed)
    write_json(snakemake.output.metrics, metrics)
    log(f"accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['f1_macro']:.4f}, loss {metrics['loss']:.4f}, "
        f"latency {speed['latency_ms']:.2f} ms")
