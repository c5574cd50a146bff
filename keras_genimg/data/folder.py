"""Reading a folder of image files.

The files are read by `keras.utils.image_dataset_from_directory`. When
every image sits in a subfolder, the subfolders are the classes (labels in
sorted folder order); otherwise the images are unlabelled.
"""

import keras
import tensorflow as tf

from keras_genimg.data.errors import DataSourceError, op_error_reason
from keras_genimg.data.finish import convert_channels

EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_COLOR_MODES = {1: "grayscale", 2: "grayscale", 3: "rgb", 4: "rgba"}
# The first bytes of each accepted format. Files are decoded lazily, while
# training; one that is empty or not an image would fail there, far from
# its name, so every file's first bytes are checked up front.
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM")


def load_folder(path, image_size=None, channels=None):
    """An unbatched dataset of the images found under a folder.

    Args:
        path: Path. The folder. Images are found in it and in its
            subfolders, at any depth.
        image_size: tuple `(height, width)` or None. Size to resize every
            image to ("area" resampling when shrinking the first image,
            else bilinear). Defaults to None: the size of the first image.
        channels: int or None. 1 or 3, or None for the channels of the
            first image (alpha kept).

    Returns:
        A `tf.data.Dataset` of `(image, label)`, images float32 in [0, 1]
        and labels int32, or None when the images are not in class
        subfolders.

    Example:

    ```python
    ds = load_folder(Path("faces"), image_size=(64, 64), channels=3)
    ```
    """
    files = _image_files(path)
    if not files:
        raise DataSourceError(
            f"The folder {str(path)!r} holds no images. Accepted "
            f"extensions: {', '.join(EXTENSIONS)}."
        )
    for file in files:
        _check_signature(file)
    # image_dataset_from_directory ignores top-level images when labels
    # are inferred, so infer labels only when there are none.
    labelled = all(file.parent != path for file in files)
    first = _image_shape(files[0])
    image_size = tuple(image_size or first[:2])
    shrinking = all(new <= old for new, old in zip(image_size, first))
    color_mode = _COLOR_MODES[channels or first[2]]
    # TensorFlow decodes GIFs to RGB only, and BMPs to RGB or RGBA: with
    # such files, grayscale is decoded as RGB and converted.
    from_rgb = color_mode == "grayscale" and any(
        file.suffix.lower() in (".gif", ".bmp") for file in files
    )
    ds = keras.utils.image_dataset_from_directory(
        str(path),
        labels="inferred" if labelled else None,
        label_mode="int",
        color_mode="rgb" if from_rgb else color_mode,
        batch_size=None,
        image_size=image_size,
        shuffle=False,
        interpolation="area" if shrinking else "bilinear",
        verbose=False,
    )

    def scale(image):
        image = image / 255.0
        return convert_channels(image, 1) if from_rgb else image

    if labelled:
        return ds.map(lambda x, y: (scale(x), y))
    return ds.map(lambda x: (scale(x), None))


def decode_failure(path, err):
    """The `DataSourceError` of a folder whose images failed to decode.

    Files are decoded while the data set is read, where TensorFlow's error
    names no file; this decodes them one by one to find the first that
    fails.

    Args:
        path: Path. The folder given to `load_folder`.
        err: the `tf.errors.OpError` met while reading its data set.

    Returns:
        A `DataSourceError` naming the file, or the folder where every file
        decodes on its own.
    """
    for file in _image_files(path):
        try:
            _image_shape(file)
        except DataSourceError as failure:
            return failure
    return DataSourceError(
        f"The images of the folder {str(path)!r} could not be read "
        f"({op_error_reason(err)})."
    )


def _image_files(path):
    return sorted(
        file
        for file in path.rglob("*")
        if file.suffix.lower() in EXTENSIONS and file.is_file()
    )


def _check_signature(file):
    try:
        with open(file, "rb") as f:
            head = f.read(8)
    except OSError as err:
        raise DataSourceError(
            f"The image file {str(file)!r} could not be read ({err})."
        ) from err
    if not head:
        raise DataSourceError(f"The image file {str(file)!r} is empty.")
    if not head.startswith(_SIGNATURES):
        raise DataSourceError(
            f"The file {str(file)!r} is not a PNG, JPEG, GIF or BMP image; "
            "it is corrupt or of another kind."
        )


def _image_shape(file):
    try:
        image = tf.io.decode_image(
            tf.io.read_file(str(file)), expand_animations=False
        )
    except tf.errors.OpError as err:
        raise DataSourceError(
            f"The image file {str(file)!r} could not be decoded "
            f"({op_error_reason(err)})."
        ) from err
    return tuple(int(d) for d in image.shape)
