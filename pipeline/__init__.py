"""deductive: NLP-assisted deductive qualitative coding, as a plain library."""
