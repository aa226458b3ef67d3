"""The body of each command line command, imported only when that command runs."""
