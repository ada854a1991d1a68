"""Run state: what one run is about (context, parameters, settings), what it records about itself (run facts), errors,
fault injection, and the home's layout and backups."""
