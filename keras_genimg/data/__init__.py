"""Image data sources for keras_genimg.

`load_images` turns any supported source into a `tf.data.Dataset` of
float32 images in [0, 1], channels last: the built-in `"shapes"` data set,
TensorFlow Datasets, MNIST-format IDX files, `.npz` files, folders of
images and numpy arrays. `load_dataset` returns it with what it holds
(image shape, classes, the first images), read in the same single pass;
`load_arrays` and `load_slice` give numpy arrays. Bad input raises
`DataSourceError`.

Example:

```python
from keras_genimg.data import load_images

ds = load_images("shapes", batch_size=64, seed=0)
```
"""

from keras_genimg.data.errors import DataSourceError
from keras_genimg.data.mix import mix
from keras_genimg.data.pipeline import (
    ImageData,
    load_arrays,
    load_dataset,
    load_images,
    load_slice,
)
from keras_genimg.data.shapes import SHAPE_CLASSES, render_shapes

__all__ = [
    "SHAPE_CLASSES",
    "DataSourceError",
    "ImageData",
    "load_arrays",
    "load_dataset",
    "load_images",
    "load_slice",
    "mix",
    "render_shapes",
]
