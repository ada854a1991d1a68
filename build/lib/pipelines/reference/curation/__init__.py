"""Maintainer tooling that (re)builds the shipped reference CSVs from the hand curation."""
