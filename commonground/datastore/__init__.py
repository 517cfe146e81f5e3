"""The datastore: turn an uploaded file into an immutable, place-linked Parquet version.

Pure Python over DuckDB, pyarrow, shapely and numpy; imports no Django (a test enforces it),
so the CLI, notebooks and benchmarks can use it directly. See docs/ARCHITECTURE.md.
"""
