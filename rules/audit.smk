# Audit stage: per-model layer tables and totals (three counters), and the separable-conv sweep.
# Each audit depends on its own spec only: editing one variant re-audits that variant alone.


rule audit_model:
    """Count one model's parameters and MACs three ways (by hand, thop, FlopCounterMode), with its memory."""
    output:
        layers_csv="results/audit/{model}/layers.csv",
        layers=report(
            "results/audit/{model}/layers.html",
            caption="../report/audit_layers.rst",
            category="Audit",
            subcategory="Per-layer tables",
            labels={"model": "{model}", "item": "layers"},
        ),
        totals="results/audit/{model}/totals.json",
    log:
        "logs/audit/{model}.log",
    benchmark:
        "logs/audit/{model}_benchmark.tsv"
    conda:
        "../envs/cnnstudy.yaml"
    resources:
        mem_mb=per_attempt(3000),
        runtime=per_attempt(15),
    params:
        spec=lambda wildcards: audit_specs(config)[wildcards.model],
        code=library_code("audit_model.py"),
    script:
        "../scripts/audit_model.py"


rule audit_summary:
    """One table of every audited model's totals."""
    input:
        expand("results/audit/{model}/totals.json", model=AUDIT_MODELS),
    output:
        csv="results/audit/summary.csv",
        html=report(
            "results/audit/summary.html",
            caption="../report/audit_summary.rst",
            category="Audit",
            subcategory="Totals",
            labels={"model": "all", "item": "totals"},
        ),
    log:
        "logs/audit/summary.log",
    conda:
        "../envs/cnnstudy.yaml"
    params:
        code=library_code("audit_summary.py"),
    script:
        "../scripts/audit_summary.py"


rule separable_sweep:
    """Time a standard 5x5 or 3x3 convolution against its separable pair at several sizes: counted vs measured ratios."""
    output:
        csv="results/audit/separable/sweep.csv",
        html=report(
            "results/audit/separable/sweep.html",
            caption="../report/separable_sweep.rst",
            category="Audit",
            subcategory="Regular vs separable convolution",
            labels={"model": "conv pairs", "item": "sweep table"},
        ),
        figure=report(
            "results/audit/separable/sweep.png",
            caption="../report/separable_sweep.rst",
            category="Audit",
            subcategory="Regular vs separable convolution",
            labels={"model": "conv pairs", "item": "sweep figure"},
        ),
    log:
        "logs/audit/separable_sweep.log",
    benchmark:
        "logs/audit/separable_sweep_benchmark.tsv"
    conda:
        "../envs/cnnstudy.yaml"
    threads: 1
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(15),
    params:
        sweep=config["audit"]["separable_sweep"],
        code=library_code("separable_sweep.py"),
    script:
        "../scripts/separable_sweep.py"


if not BUNDLE:  # with run.bundle, the timings come from the machine that trained

    rule speed_audit:
        """Time every variant on random weights (training step, latency), interleaved: the speed claims."""
        output:
            csv="results/audit/speed/timings.csv",
            html=speed_report_item(),
        log:
            "logs/audit/speed_audit.log",
        benchmark:
            "logs/audit/speed_audit_benchmark.tsv"
        conda:
            "../envs/cnnstudy.yaml"
        threads: 1
        resources:
            mem_mb=per_attempt(3000),
            runtime=per_attempt(15),
        params:
            specs={name: variant["model"] for name, variant in config["variants"].items()},
            speed=config["audit"]["speed"],
            code=library_code("speed_audit.py"),
        script:
            "../scripts/speed_audit.py"
