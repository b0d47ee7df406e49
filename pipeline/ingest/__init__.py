"""Ingest: read documents and transcripts into normalised text with located blocks."""
