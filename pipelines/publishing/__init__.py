"""Publishing: the jobs of publishing a run (lock, manifest, ledger commit, metrics history, run folder), the ledger,
the output contract and checks, small-cell privacy and the exports."""
