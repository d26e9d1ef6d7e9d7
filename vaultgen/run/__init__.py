"""`vaultgen run`: build every pending batch in order and repair what late or corrected batches touched.

batches.py reads the facts (the raw layer's batches with their content fingerprints, the build log), plan.py
decides what to build (pure), progress.py reports dbt's progress, runner.py chains them with dbt.
"""
