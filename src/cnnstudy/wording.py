"""The study's words: each table's title and note and the method paragraph, in one place.

It imports nothing that decides a result, so that the data and audit jobs, whose tables it
titles, do not rerun when the statistics change (cnnstudy.decision renders the decision table).
"""

from __future__ import annotations

from typing import Any

# Title and note of every table the workflow renders, filled in with str.format.
TABLES = {
    "layers": ("Layers of {name} ({family})",
               "Memory for one {shape} input (torchsummary's estimate, float32): input {input_mb:.2f} MB, "
               "forward/backward pass {forward_backward_mb:.2f} MB, params {params_mb:.2f} MB, total {total_mb:.2f} MB."),
    "audit summary": ("Parameters and MACs per image of every audited model",
                      "macs: the project's hand-formula counter; thop_macs: thop.profile; flopcounter_flops: torch "
                      "FlopCounterMode (2 FLOPs per MAC). Memory in MB as torchsummary."),
    "data": ("Dataset {name}: splits, class counts and source checksums", ""),
    "separable sweep": ("Regular vs depth-wise separable convolution",
                        "MACs per image; latency: median CPU forward time of a batch of {batch} on {threads} "
                        "thread(s), after {warmup} warm-up runs."),
    "speed": ("Speed of every variant on this machine",
              "Medians over {repeats} interleaved rounds, on {threads} thread(s), random weights, fp32 (whatever "
              "precision the training jobs ran in): train_ms is one training step (forward, backward, AdamW "
              "update) of a batch of {batch}, per digit; latency_ms one "
              "digit's inference. The speed claims compare these per round."),
    "runs": ("Every run on {dataset}",
             "fits: the run's last-epoch training accuracy reached convergence.min_train_accuracy. Whether a variant "
             "was trained far enough is in the summary (its budget check)."),
    "summary": ("Variants on {dataset}: accuracy and macro F1 over seeds, cost, and the original report",
                "95% CI: t-interval over seeds, clipped to [0, 100] (empty with one seed). trained far enough: every "
                "run fits its training digits and, for a variant whose accuracy decides a claim, its first seed "
                "trained with twice the epochs changed validation accuracy by less than the margin (twice the "
                "epochs: that change). latency ms: median single-image forward time measured during evaluation. "
                "train - test: last-epoch training accuracy minus test accuracy. Full precision in summary.csv."),
    "significance": ("Paired comparisons on {dataset}: accuracy difference with its 95% interval", "{method}"),
    "claims": ("The original report's conclusions, judged on {dataset}", "{scope} {method}"),
}


def table_words(table: str, **values: Any) -> dict[str, str]:
    """``title`` and ``note`` of one table (cnnstudy.tables.write_table's keywords), filled in."""
    title, note = TABLES[table]
    return {"title": title.format(**values), "note": note.format(**values)}


def method_text(settings: dict[str, Any]) -> str:
    """The method in one paragraph, with this run's alpha, delta and cost factor."""
    level, delta = 100 * (1 - settings["alpha"]), 100 * settings["relevant_difference"]
    return (f"Each test reads an interval of a difference (variant minus reference; positive means the variant is "
            f"better) against 0 and a margin d: for accuracy, the paired difference on the same test digits averaged "
            f"over seeds, whose {level:.0f}% interval counts both which digits were tested and which run each seed "
            f"produced, with d = {delta:.2f} pts, the smallest difference worth a claim; for overfitting, the "
            "train-minus-test gap (smaller is better); for cost, the ratio reference / variant of MACs or parameters "
            f"(exact, from the audit) or of measured seconds (a t interval over seeds), with d = x"
            f"{settings['cost_factor']:g} unless a test sets its own factor. The k interval tests that decide one "
            f"claim are read at {level:.0f}% / k each (Bonferroni), so that they hold together and nothing outside "
            "the claim changes its verdict. One decision table maps every position of an interval to one verdict: "
            "better claims a gain of at least d, and a gain shown real but smaller than d reads 'below the margin'. "
            "A claim is supported when each of its tests is, refuted when one is refuted, and judged only on models "
            "trained far enough (the runs table); what the evidence cannot decide is inconclusive, with what "
            "would decide it.")
