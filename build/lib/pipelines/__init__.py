"""Medicare Part D MTM targeting pipeline: the framework-free core (readers, reference data, SQL, exports)."""

__version__ = "0.1.0"
