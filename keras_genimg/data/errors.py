"""The error raised for every bad input to `keras_genimg.data`."""


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
    """The reason in a TensorFlow `OpError`, without the op's name and
    device that TensorFlow wraps it in.

    Example:
    >>> class OpError:
    ...     message = "{{function_node x}} Invalid PNG data, size 60 [Op:D]"
    >>> op_error_reason(OpError())
    'Invalid PNG data, size 60'
    """
    return err.message.split("}}")[-1].split("[Op:")[0].strip()
