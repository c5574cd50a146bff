"""Latent-space tools: interpolation, traversals and attribute vectors.

They work with any zoo model through its public API (`generate`, and
`encode`/`decode` for the autoencoders); a conditional model takes the
class as `label`.

Example:

```python
import numpy as np
from keras_genimg import latent

z0, z1 = vae.sample_latent(2, seed=0)
images = vae.generate(z=latent.interpolate(z0, z1, steps=10))
sweep = latent.traverse(vae, np.zeros(vae.latent_dim), dim=3,
                        values=np.linspace(-3, 3, 9))
smile = latent.attribute_vector(vae, smiling, neutral)
edited = latent.edit(vae, vae.encode(neutral)[0], smile, strength=1.5)
```
"""

from keras_genimg.latent.attributes import attribute_vector, edit
from keras_genimg.latent.frames import save_gif, save_strip
from keras_genimg.latent.interpolation import (
    METHODS,
    interpolate,
    interpolate_images,
)
from keras_genimg.latent.traversal import traverse, traverse_latents

__all__ = [
    "METHODS",
    "attribute_vector",
    "edit",
    "interpolate",
    "interpolate_images",
    "save_gif",
    "save_strip",
    "traverse",
    "traverse_latents",
]
