"""The raw layer's table catalog on AWS: Glue Data Catalog definitions of the raw Iceberg tables, and their sync."""
