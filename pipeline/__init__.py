"""Orchestration: discovery, Dask execution, caching policy, Parquet output and the CLI."""
