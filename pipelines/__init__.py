"""Medicare Part D MTM targeting pipeline: the framework-free core (readers, reference data, SQL, exports)."""

from pathlib import Path

__version__ = "0.1.0"

#: the package's folder and the project's (the checkout, or site-packages when installed): modules find their
#: files from these, never from their own place in the package, so moving a module moves nothing else
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
