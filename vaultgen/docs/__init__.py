"""Offline documentation of the vault: Mermaid ERD and lineage (`vaultgen docs`), and the dbt docs overview page."""
