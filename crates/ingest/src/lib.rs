//! Detectviz ingest.
