"""The engine: the SQL models and seeds, the Python steps, the graph runner, DuckDB helpers, the cache, the packaged
files and the Spark SQL rewrite."""
