"""Query exported zoo models: TF Serving's REST or gRPC API, or in-process.

The client reads what a model takes and returns from its signatures (the
server's metadata), not from the model's code, so it works with any version
of an export.
"""

from keras_genimg.serving.client import Client
from keras_genimg.serving.errors import ServingError

__all__ = ["Client", "ServingError"]
