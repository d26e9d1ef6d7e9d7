"""vaultgen: metadata-driven Data Vault 2.0 generator."""
