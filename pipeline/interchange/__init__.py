"""REFI-QDA exchange: codebooks (.qdc) and projects (.qdpx) in and out of other QDA tools."""
