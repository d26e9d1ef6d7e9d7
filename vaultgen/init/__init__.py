"""`vaultgen init`: a draft spec from a live database (see vaultgen.init.draft)."""
