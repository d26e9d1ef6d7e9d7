"""Small constructs, one job each; the stacks in `infra_cdktf.stacks` compose them."""
