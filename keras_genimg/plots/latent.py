"""Pictures of a VAE's latent space: a decoded grid and a class scatter."""

import statistics

import matplotlib
import numpy as np

from keras_genimg.callbacks.image_grid import make_grid
from keras_genimg.plots.figure import new_figure, save_figure

MANIFOLD_SIZE = 800
SCATTER_SIZE = (800, 700)
ENCODE_BATCH = 256


def gaussian_quantiles(num, low=0.05, high=0.95):
    """`num` evenly spaced quantiles of N(0, 1), from `low` to `high`.

    Example:
    >>> [round(q, 3) for q in gaussian_quantiles(2)]
    [-1.645, 1.645]
    """
    normal = statistics.NormalDist()
    return [normal.inv_cdf(p) for p in np.linspace(low, high, num)]


def principal_plane(points):
    """The two main directions of a set of latent points (PCA).

    Args:
        points: array `(N, latent_dim)`, latent_dim >= 2.

    Returns:
        A float64 array `(2, latent_dim)` of orthonormal rows; for
        `latent_dim == 2`, the identity.

    Example:
    >>> principal_plane(np.zeros((5, 2)))
    array([[1., 0.],
           [0., 1.]])
    """
    points = np.asarray(points, dtype="float64")
    if points.shape[1] == 2:
        return np.eye(2)
    if len(points) < 2:
        raise ValueError(
            "The two main directions of the latent space need at least 2 "
            f"images; received {len(points)}."
        )
    centered = points - points.mean(axis=0)
    _, _, vectors = np.linalg.svd(centered, full_matrices=False)
    return vectors[:2]


def manifold_latents(latent_dim, grid_size=20, plane=None):
    """Latent points on a grid through the Gaussian quantiles.

    As in the TensorFlow CVAE tutorial: the prior N(0, I) has standard
    normal coordinates along any unit directions, so a grid of its
    quantiles (5% to 95%) covers where the decoder was trained. With more
    than two latent dimensions the grid lies in `plane`.

    Args:
        latent_dim: int. Size of the latent space, >= 2.
        grid_size: int. Points per side. Defaults to 20.
        plane: array `(2, latent_dim)` or None. Orthonormal directions of
            the grid (e.g. `principal_plane` of encoded data). Defaults to
            the first two latent axes.

    Returns:
        A float32 array `(grid_size**2, latent_dim)`, row by row from the
        top left, the first direction growing to the right and the second
        upwards.

    Example:
    >>> manifold_latents(2, grid_size=3)[[0, 8]].round(3)
    array([[-1.645,  1.645],
           [ 1.645, -1.645]], dtype=float32)
    """
    if latent_dim < 2:
        raise ValueError(
            f"A latent manifold needs latent_dim >= 2, got {latent_dim}."
        )
    if plane is None:
        plane = np.eye(latent_dim)[:2]
    quantiles = gaussian_quantiles(grid_size)
    points = [
        x * plane[0] + y * plane[1]
        for y in reversed(quantiles)
        for x in quantiles
    ]
    return np.asarray(points, dtype="float32")


def encode_means(model, images, labels=None):
    """Posterior means of `images` from a model with `encode`, batched;
    a conditional model's `labels` are the images' classes (its `encode`
    refuses the images without them)."""
    conditional = getattr(model, "num_classes", None) is not None
    labels = np.asarray(labels) if conditional and labels is not None else None
    return np.concatenate(
        [
            model.encode(
                images[i : i + ENCODE_BATCH],
                None if labels is None else labels[i : i + ENCODE_BATCH],
            )[0]
            for i in range(0, len(images), ENCODE_BATCH)
        ]
    )


def plot_latent_manifold(
    model, path, grid_size=20, images=None, labels=None, label=0
):
    """Decodes a grid of latent points into one picture.

    With a 2-D latent space the grid spans both axes; with a larger one it
    spans the plane of the two main directions of the encoded `images`
    (or the first two axes when no images are given).

    Args:
        model: a VAE (`latent_dim`, `generate(z=...)`; `encode` when
            `images` are given).
        path: str or path-like. The PNG to write (800x800 pixels).
        grid_size: int. Images per side. Defaults to 20.
        images: float32 array `(N, H, W, C)` in [0, 1] or None.
        labels: the classes of `images`, for a conditional VAE.
        label: int. The class every point is decoded as, for a
            conditional VAE. Defaults to 0.

    Returns:
        str. The path written.

    Example:
    >>> # plot_latent_manifold(vae, "runs/vae/latent_manifold.png")
    """
    plane = None
    if images is not None and model.latent_dim > 2:
        plane = principal_plane(encode_means(model, images, labels))
    conditional = getattr(model, "num_classes", None) is not None
    decoded = model.generate(
        z=manifold_latents(model.latent_dim, grid_size, plane),
        labels=label if conditional else None,
    )
    grid = make_grid(decoded, num_columns=grid_size, border=0)
    figure = new_figure(MANIFOLD_SIZE, MANIFOLD_SIZE)
    axes = figure.add_axes((0.07, 0.07, 0.9, 0.88))
    if grid.shape[-1] == 1:
        axes.imshow(grid[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
    else:
        axes.imshow(grid)
    _quantile_ticks(axes, grid_size, decoded.shape[1:3])
    names = ("z[0]", "z[1]") if plane is None else ("PC 1", "PC 2")
    axes.set_xlabel(f"{names[0]} (N(0, 1) quantile)")
    axes.set_ylabel(f"{names[1]} (N(0, 1) quantile)")
    title = f"Latent manifold ({model.latent_dim}-D latent space)"
    axes.set_title(title + (f", class {label}" if conditional else ""))
    return save_figure(figure, path)


def plot_latent_scatter(model, images, labels, path):
    """Scatter of the posterior means of images, coloured by class.

    With more than two latent dimensions the means are projected on their
    two principal directions (PCA).

    Args:
        model: a VAE (`encode`).
        images: float32 array `(N, H, W, C)` in [0, 1].
        labels: int array `(N,)` or None (one colour); a conditional VAE
            encodes each image with its label.
        path: str or path-like. The PNG to write (800x700 pixels).

    Returns:
        str. The path written.

    Example:
    >>> # plot_latent_scatter(vae, x[:2000], y[:2000], "latent_scatter.png")
    """
    means = encode_means(model, images, labels)
    plane = principal_plane(means)
    points = (means - means.mean(axis=0)) @ plane.T
    if means.shape[1] == 2:
        points = means
    figure = new_figure(*SCATTER_SIZE)
    axes = figure.add_subplot(1, 1, 1)
    if labels is None:
        axes.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6)
    else:
        labels = np.asarray(labels)
        classes = np.unique(labels)
        colours = _class_colours(len(classes))
        for colour, label in zip(colours, classes):
            chosen = labels == label
            axes.scatter(
                points[chosen, 0],
                points[chosen, 1],
                s=4,
                alpha=0.6,
                color=colour,
                label=str(label),
            )
        axes.legend(title="class", markerscale=3, loc="best", fontsize=8)
    projected = means.shape[1] > 2
    axes.set_xlabel("PC 1" if projected else "z[0]")
    axes.set_ylabel("PC 2" if projected else "z[1]")
    title = f"Posterior means of {len(points)} images"
    if projected:
        title += f" ({means.shape[1]}-D latent space, PCA)"
    axes.set_title(title)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return save_figure(figure, path)


def _class_colours(num):
    cmap = matplotlib.colormaps["tab10" if num <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(num)]


def _quantile_ticks(axes, grid_size, tile_shape):
    quantiles = gaussian_quantiles(grid_size)
    chosen = sorted(
        {0, grid_size - 1} | ({grid_size // 2} if grid_size % 2 else set())
    )
    height, width = tile_shape
    axes.set_xticks([(i + 0.5) * width - 0.5 for i in chosen])
    axes.set_xticklabels([f"{quantiles[i]:.2f}" for i in chosen])
    axes.set_yticks([(i + 0.5) * height - 0.5 for i in chosen])
    axes.set_yticklabels(
        [f"{quantiles[grid_size - 1 - i]:.2f}" for i in chosen]
    )
