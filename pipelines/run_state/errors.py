"""Errors that stop a run, each carrying what a data analyst needs to fix the input."""

from __future__ import annotations


class InputFileError(Exception):
    """A file-level problem (missing file or column, unparseable file): the run stops, nothing is published."""

    def __init__(self, file: str, problem: str, column: str | None = None, expected: str | None = None):
        self.file, self.problem, self.column, self.expected = file, problem, column, expected
        parts = [f"{file}: {problem}"]
        if column:
            parts.append(f"column '{column}'")
        if expected:
            parts.append(f"expected {expected}")
        super().__init__("; ".join(parts))


class RejectRateError(Exception):
    """More of a table's rows were rejected than the plan allows (input-contract.md, "Bad input")."""


class SettingsError(Exception):
    """The settings file names an unknown key, a wrong type or a value outside the CMS limits."""

