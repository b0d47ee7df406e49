"""The `deductive` command line: the top layer. Each command opens the study, calls one
library (or flow) function and prints its result; `cli.main` assembles the commands."""
