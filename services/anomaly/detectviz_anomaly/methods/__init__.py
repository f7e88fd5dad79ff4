"""Anomaly detectors. Every detector turns data into per-point scores in [0, 1] (0.5 is the
alarm boundary), flags and reasons; see `registry` for the list of methods."""
