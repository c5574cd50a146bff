"""Prints the README's count of bad inputs: `python -m tests.bad_inputs`."""

from tests.bad_inputs import readme_sentence

print(readme_sentence())
