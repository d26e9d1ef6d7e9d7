"""Infrastructure as code for vaultgen: CDK Terrain (the maintained continuation of CDK for Terraform).

One configuration (`config.py`) drives an AWS stack and a Snowflake stack per environment; the raw Glue
tables and the Snowflake masking of personal data are derived from the vault spec (`raw_tables.py`).
"""
