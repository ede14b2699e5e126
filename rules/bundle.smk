# Bundles: build the report on another machine than the one that trained. `snakemake
# results/bundle.tar.gz` packs a run's small results (no checkpoints); with `run.bundle: <that file>`
# the workflow restores them instead of preparing data, training and evaluating, and builds the
# comparison and the report from them.


if BUNDLE:

    localrules:
        unbundle,

    rule unbundle:
        """Restore the small results of a run made elsewhere (run.bundle): nothing is retrained."""
        input:
            BUNDLE,
        output:
            [bundled_output(member) for member in bundle_members()],
        log:
            "logs/unbundle.log",
        conda:
            "../envs/cnnstudy.yaml"
        params:
            members=bundle_members(),
            manifest=bundle_manifest(),
            code=library_code("unbundle.py"),
        script:
            "../scripts/unbundle.py"

else:

    localrules:
        bundle,

    rule bundle:
        """Pack this run's small results (metrics, predictions, histories, speed, budget checks, test split) for a report elsewhere."""
        input:
            bundle_members(),
        output:
            BUNDLE_ARCHIVE,
        log:
            "logs/bundle.log",
        conda:
            "../envs/cnnstudy.yaml"
        params:
            members=bundle_members(),
            manifest=bundle_manifest(),
            code=library_code("bundle.py"),
        script:
            "../scripts/bundle.py"
