"""Finding and running the Example blocks of the package's docstrings.

`tests/docs/test_docstrings.py` runs every module's examples on the
suite's backend; the backend matrix (`tests/backend_checks/zoo_steps.py`)
runs those of the packages that need no TensorFlow on PyTorch, in a
process where TensorFlow cannot be imported.
"""

import doctest
import importlib
import pkgutil

import keras

import keras_genimg

# The packages that import and run without TensorFlow (the README's
# "Backends").
WITHOUT_TENSORFLOW = ("callbacks", "latent", "metrics", "models", "plots")


def other_backends():
    """The plumbing modules of the backends this process does not run
    on, whose examples run on their own backend only."""
    return {
        f"keras_genimg.models.backend.{module}"
        for module, name in (
            ("jax", "jax"),
            ("tensorflow", "tensorflow"),
            ("torch", "torch"),
            ("torch_layers", "torch"),
        )
        if name != keras.backend.backend()
    }


def modules_with_examples(packages=None, without_tensorflow=False):
    """The names of the modules whose docstrings hold examples that run.

    Found by name, walking the packages (the package's functions
    `inception_score` and `mix` hide the modules of the same names).

    Args:
        packages: names of `keras_genimg`'s packages to walk, or None for
            the whole of it.
        without_tensorflow: bool. Pass over the modules that fail to
            import for want of TensorFlow (else their error is raised).

    Returns:
        A sorted list of module names.
    """
    finder = doctest.DocTestFinder()
    names, skip = [], other_backends()
    for info in _walk(packages):
        # `__main__` is the command line itself.
        if info.name.endswith(".__main__") or info.name in skip:
            continue
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as err:
            if without_tensorflow and err.name == "tensorflow":
                continue
            raise
        if any(
            not example.options.get(doctest.SKIP)
            for test in finder.find(module)
            for example in test.examples
        ):
            names.append(info.name)
    return sorted(names)


def run_examples(name):
    """Runs a module's examples; returns doctest's `(failed, attempted)`."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    return result.failed, result.attempted


def _walk(packages):
    if packages is None:
        yield from pkgutil.walk_packages(keras_genimg.__path__, "keras_genimg.")
        return
    for package in packages:
        module = importlib.import_module(f"keras_genimg.{package}")
        yield from pkgutil.walk_packages(module.__path__, f"{module.__name__}.")
