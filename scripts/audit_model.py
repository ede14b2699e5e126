"""Audit one model: per-layer table (three MAC counts) and totals."""

import pandas as pd

from cnnstudy.audit import audit
from cnnstudy.files import write_json
from cnnstudy.jobs import job
from cnnstudy.models import build_model
from cnnstudy.specs import input_shape
from cnnstudy.tables import write_table
from cnnstudy.wording import table_words

with job(snakemake.log[0], snakemake.params.code, snakemake.threads) as log:
    name, spec = snakemake.wildcards.model, dict(snakemake.params.spec)
    shape = input_shape(spec)
    log(f"auditing {name}: {spec}, input {shape}")
    rows, totals = audit(build_model(spec), shape)
    table = pd.DataFrame(rows + [{
        "layer": "total", "type": "", "output_shape": None, "params": totals["params"], "macs": totals["macs"],
        "thop_macs": totals["thop_macs"], "flopcounter_flops": totals["flopcounter_flops"],
        "difference": f"thop: {totals['thop_vs_hand']}; FlopCounterMode/2: {totals['flopcounter_vs_hand']}",
    }])
    write_table(table, snakemake.output.layers_csv, snakemake.output.layers,
                **table_words("layers", name=name, family=spec["family"], shape="x".join(map(str, shape)), **totals))
    write_json(snakemake.output.totals, {"model": name, "spec": spec, **totals})
    log(f"params {totals['params']:,}, MACs {totals['macs']:,}, thop {totals['thop_macs']:,.0f}, "
        f"FlopCounterMode {totals['flopcounter_flops']:,} FLOPs")
