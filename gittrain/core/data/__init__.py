"""Datasets: the lockfile, hashing and counting, snapshots and remote storage."""
