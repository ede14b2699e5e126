"""Prepare the train, validation and test splits of one configured dataset."""

from cnnstudy.datasets import prepare, save_split, summary_frame
from cnnstudy.jobs import job
from cnnstudy.tables import write_table
from cnnstudy.wording import table_words

with job(snakemake.log[0], snakemake.params.code) as log:
    name, spec = snakemake.wildcards.dataset, dict(snakemake.params.spec)
    log(f"preparing dataset {name} from source {spec['source']}")
    splits = prepare(name, spec)
    for split, (images, labels, provenance) in splits.items():
        save_split(snakemake.output[split], images, labels, provenance)
        log(f"{split}: {len(labels)} images {list(images.shape[1:])}, per class {provenance['counts_per_class']}")
    write_table(summary_frame(splits), snakemake.output.summary_csv, snakemake.output.summary,
                **table_words("data", name=name))
