"""Files that people open: the outreach list (CSV + XLSX) for the MTM outreach staff."""
