"""Plots of a run: loss curves, latent spaces and an animation of samples.

Every plot is written as a PNG (or GIF) next to the run with matplotlib's
Agg backend, without pyplot, so it needs no display.

Example:

```python
from keras_genimg.plots import animate_grids, plot_history

plot_history("runs/vae/history.json", "runs/vae/history.png")
animate_grids("runs/vae", "runs/vae/samples.gif")
```
"""

from keras_genimg.plots.animation import (
    animate_grids,
    epoch_grids,
    read_gif_frames,
)
from keras_genimg.plots.history import (
    history_panels,
    plot_history,
    read_history,
)
from keras_genimg.plots.latent import (
    gaussian_quantiles,
    manifold_latents,
    plot_latent_manifold,
    plot_latent_scatter,
    principal_plane,
)

__all__ = [
    "animate_grids",
    "epoch_grids",
    "gaussian_quantiles",
    "history_panels",
    "manifold_latents",
    "plot_history",
    "plot_latent_manifold",
    "plot_latent_scatter",
    "principal_plane",
    "read_gif_frames",
    "read_history",
]
