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
