"""The error raised for every bad input to `keras_genimg.data`."""

import re


class DataSourceError(ValueError):
    """A data source or a loading argument is invalid or unreadable.

    Subclasses `ValueError`, so callers that already catch `ValueError`
    keep working. The message names the offending argument, file or data
    set and lists what is accepted.

    Example:

    ```python
    try:
        load_images("no/such/place")
    except DataSourceError as err:
        print(err)
    ```
    """


def op_error_reason(err):
    """The reason in a TensorFlow `OpError`, without the function, node
    and op names that TensorFlow wraps it in.

    Example:
    >>> class OpError:
    ...     message = "{{function_node x}} Invalid PNG data, size 60 [Op:D]"
    >>> op_error_reason(OpError())
    'Invalid PNG data, size 60'
    >>> OpError.message = "Bad GIF\\n\\t [[{{node decode_image}}]] [Op:Next]"
    >>> op_error_reason(OpError())
    'Bad GIF'
    """
    message = re.sub(r"\{\{function_node [^}]*\}\}", "", err.message)
    message = message.split("[[")[0].split("[Op:")[0]
    return " ".join(message.split())
