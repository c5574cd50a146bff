"""Small helpers shared by the callbacks, the exporter and the CLI."""

from keras_genimg.utils.atomic import atomic_path

__all__ = ["atomic_path"]
