"""Tests of the anomaly service."""
