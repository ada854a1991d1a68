"""The Dagster layer: assets, checks, schedule, sensor and resources over the framework-free core."""
