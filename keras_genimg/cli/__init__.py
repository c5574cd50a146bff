"""The `genimg` command line: one module per subcommand, each parsing its
arguments, calling the library and printing.

The subcommands import the library inside their `run` functions, and that
is the only reason they do: `genimg --help`, `--version` and usage errors
answer without starting Keras or TensorFlow (tests/cli/test_cli.py checks it).
"""
