# Comparison: aggregates over seeds, paired intervals, the original report's claims judged, figures.


rule summarise_runs:
    """Aggregate a dataset's runs: the per-run table, the per-variant summary over seeds, the stacked histories."""
    input:
        metrics=per_run("metrics.json"),
        speeds=per_run("speed.json"),
        histories=per_run("history.csv"),
        audits=expand("results/audit/{variant}/totals.json", variant=VARIANTS),
        budget=budget_checks,
    output:
        runs_csv=compare_file("runs.csv"),
        runs=report(
            compare_file("runs.html"),
            caption="../report/runs.rst",
            category="Evaluation",
            labels={"dataset": "{dataset}", "item": "every run"},
        ),
        summary_csv=compare_file("summary.csv"),
        summary=report(
            compare_file("summary.html"),
            caption="../report/summary.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "item": "1 summary table"},
        ),
        histories=compare_file("histories.csv"),
    log:
        "logs/{dataset}/compare/summarise_runs.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        code=library_code("summarise_runs.py"),
        variants=report_variants(),
        min_train_accuracy=config["convergence"]["min_train_accuracy"],
        runs=RUNS,
    script:
        "../scripts/summarise_runs.py"


rule judge_claims:
    """Pair the variants' predictions, judge the original report's conclusions, write the headline."""
    input:
        predictions=per_run("predictions.csv"),
        summary=compare_file("summary.csv"),
        runs=compare_file("runs.csv"),
        audits=expand("results/audit/{variant}/totals.json", variant=VARIANTS),
        speed="results/audit/speed/timings.csv",
        data="results/{dataset}/data/summary.csv",
    output:
        csv=compare_file("significance.csv"),
        html=report(
            compare_file("significance.html"),
            caption="../report/significance.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "item": "3 significance"},
        ),
        claims_csv=compare_file("claims.csv"),
        evidence_csv=compare_file("evidence.csv"),
        untrained_csv=compare_file("untrained.csv"),
        claims=report(
            compare_file("claims.html"),
            caption="../report/claims.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "item": "2 the original report's claims"},
        ),
        headline=report(
            compare_file("headline.html"),
            caption="../report/headline.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "item": "0 headline"},
        ),
    log:
        "logs/{dataset}/compare/judge_claims.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        code=library_code("judge_claims.py"),
        pairs=comparison_pairs(config),
        claims=config["claims"],
        stats=config["stats"],
        runs=RUNS,
        plans=training_plans(),
    script:
        "../scripts/judge_claims.py"


rule figure_accuracy:
    """Figure: test accuracy per variant with its interval over seeds, beside the original report's."""
    input:
        compare_file("summary.csv"),
    output:
        report(
            compare_file("accuracy.png"),
            caption="../report/figure_accuracy.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "item": "4 accuracy per variant"},
        ),
    log:
        "logs/{dataset}/compare/figure_accuracy.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        code=library_code("figure_accuracy.py"),
    script:
        "../scripts/figure_accuracy.py"


rule figure_cost:
    """Figure: accuracy against MACs and against latency, with the Pareto fronts."""
    input:
        compare_file("summary.csv"),
    output:
        report(
            compare_file("accuracy_vs_cost.png"),
            caption="../report/figure_cost.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "item": "5 accuracy vs cost"},
        ),
    log:
        "logs/{dataset}/compare/figure_cost.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        code=library_code("figure_cost.py"),
    script:
        "../scripts/figure_cost.py"


rule figure_learning_curves:
    """Figure: validation accuracy and training loss per epoch, mean over seeds."""
    input:
        compare_file("histories.csv"),
    output:
        report(
            compare_file("learning_curves.png"),
            caption="../report/figure_learning_curves.rst",
            category="Training",
            labels={"dataset": "{dataset}", "item": "learning curves"},
        ),
    log:
        "logs/{dataset}/compare/figure_learning_curves.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        code=library_code("figure_learning_curves.py"),
    script:
        "../scripts/figure_learning_curves.py"


rule figure_errors:
    """Figures of the best variant's errors: its confusion matrix and most confident mistakes."""
    input:
        summary=compare_file("summary.csv"),
        metrics=per_run("metrics.json"),
        predictions=per_run("predictions.csv"),
        test="results/{dataset}/data/test.npz",
    output:
        confusion=report(
            compare_file("confusion_best.png"),
            caption="../report/figure_confusion.rst",
            category="Evaluation",
            labels={
                "dataset": "{dataset}",
                "item": "confusion matrix of the best variant",
            },
        ),
        misclassified=report(
            compare_file("misclassified.png"),
            caption="../report/figure_misclassified.rst",
            category="Evaluation",
            labels={"dataset": "{dataset}", "item": "misclassified digits"},
        ),
    log:
        "logs/{dataset}/compare/figure_errors.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        code=library_code("figure_errors.py"),
        runs=RUNS,
        shown=32,
    script:
        "../scripts/figure_errors.py"


rule landing_page:
    """Write the report's first screen: this run's verdict on each conclusion, then the description."""
    input:
        template=LANDING_TEMPLATE,
        claims=expand(compare_file("claims.csv", dataset="{dataset}"), dataset=DATASETS),
        evidence=expand(compare_file("evidence.csv", dataset="{dataset}"), dataset=DATASETS),
        untrained=expand(compare_file("untrained.csv", dataset="{dataset}"), dataset=DATASETS),
    output:
        LANDING_PAGE,
    log:
        "logs/landing_page.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        datasets=DATASETS,
        code=library_code("landing_page.py"),
    script:
        "../scripts/landing_page.py"
