"""Precision and recall of k-nearest-neighbour manifolds of features."""

import numpy as np

DEFAULT_NEIGHBOURS = 3
BLOCK_SIZE = 1024


def knn_radii(features, k=DEFAULT_NEIGHBOURS, block_size=BLOCK_SIZE):
    """Distance from each row to its k-th nearest other row.

    Args:
        features: array `(N, D)` with N > k.
        k: int. Which neighbour. Defaults to 3.
        block_size: int. Rows compared at once; bounds the memory to
            `block_size * N` distances.

    Returns:
        A float64 array `(N,)` of squared distances.

    Example:
    >>> knn_radii(np.array([[0.0], [1.0], [3.0]]), k=1)
    array([1., 1., 4.])
    """
    features = _as_features(features)
    if not 1 <= k < len(features):
        raise ValueError(
            f"`k` must be in [1, {len(features) - 1}] for {len(features)} "
            f"feature vectors, got {k}."
        )
    radii = np.empty(len(features))
    for start, block in _squared_distances(features, features, block_size):
        # Index 0 of each sorted row is the row's distance to itself.
        block.partition(k, axis=1)
        radii[start : start + len(block)] = block[:, k]
    return radii


def manifold_membership(
    manifold, queries, k=DEFAULT_NEIGHBOURS, block_size=BLOCK_SIZE, radii=None
):
    """Whether each query lies in the k-NN manifold of another set.

    The manifold is the union of balls centred on the rows of `manifold`,
    each as large as the distance to that row's k-th nearest neighbour
    (Kynkäänniemi et al., 2019).

    Args:
        manifold: array `(N, D)`. The set whose manifold is estimated.
        queries: array `(M, D)`. The points to test.
        k: int. Neighbour that sets each ball's radius. Defaults to 3.
        block_size: int. Queries compared at once.
        radii: float64 array `(N,)` or None. `knn_radii(manifold, k)`,
            when already computed (e.g. `Reference.knn_radii`).

    Returns:
        A bool array `(M,)`.

    Example:
    >>> manifold = np.array([[0.0], [1.0]])
    >>> manifold_membership(manifold, np.array([[0.5], [9.0]]), k=1)
    array([ True, False])
    """
    manifold, queries = _as_features(manifold), _as_features(queries)
    if manifold.shape[1] != queries.shape[1]:
        raise ValueError(
            f"Feature sizes differ: {manifold.shape[1]} and {queries.shape[1]}."
        )
    if radii is None:
        radii = knn_radii(manifold, k, block_size)
    elif np.shape(radii) != (len(manifold),):
        raise ValueError(
            f"`radii` must have shape ({len(manifold)},), one per manifold "
            f"row. Received shape {np.shape(radii)}."
        )
    inside = np.empty(len(queries), dtype=bool)
    for start, block in _squared_distances(queries, manifold, block_size):
        inside[start : start + len(block)] = np.any(block <= radii, axis=1)
    return inside


def precision_recall(
    real_features, fake_features, k=DEFAULT_NEIGHBOURS, block_size=BLOCK_SIZE
):
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    Precision is the share of generated samples inside the manifold of the
    real ones (are the samples realistic?); recall is the share of real
    samples inside the manifold of the generated ones (is all of the data
    covered?). Both are in [0, 1]; the paper uses k = 3. They depend on the
    sample sizes, so compare values computed with the same sizes.

    Args:
        real_features: array `(N, D)`.
        fake_features: array `(M, D)`.
        k: int. Neighbour that sets the ball radii. Defaults to 3.
        block_size: int. Rows compared at once.

    Returns:
        `(precision, recall)`: floats.

    Example:
    >>> x = np.random.default_rng(0).normal(size=(100, 2))
    >>> precision_recall(x, x)
    (1.0, 1.0)
    """
    precision = manifold_membership(
        real_features, fake_features, k, block_size
    ).mean()
    recall = manifold_membership(
        fake_features, real_features, k, block_size
    ).mean()
    return float(precision), float(recall)


def _squared_distances(queries, points, block_size):
    """Yields `(start, block)`: the squared Euclidean distances, never
    negative, from `block_size` rows of `queries` from `start` on to every
    row of `points`, `(rows, len(points))`.

    The blocks are computed in two buffers allocated once: each block is
    overwritten by the next. Fresh arrays of this size (80 MB for 1,024
    rows against 10,000 points) are fresh pages from the system every
    time, which took as much time again as the arithmetic.
    """
    query_norms = np.sum(queries * queries, axis=1)[:, None]
    point_norms = np.sum(points * points, axis=1)[None, :]
    rows = min(block_size, len(queries))
    distances = np.empty((rows, len(points)))
    products = np.empty((rows, len(points)))
    for start in range(0, len(queries), block_size):
        block = queries[start : start + block_size]
        out, product = distances[: len(block)], products[: len(block)]
        np.add(query_norms[start : start + len(block)], point_norms, out=out)
        np.matmul(block, points.T, out=product)
        product *= 2.0
        np.subtract(out, product, out=out)
        yield start, np.maximum(out, 0.0, out=out)


def _as_features(value):
    value = np.asarray(value, dtype="float64")
    if value.ndim != 2 or len(value) == 0:
        raise ValueError(
            "Features must have shape (N, D) with N >= 1. Received shape "
            f"{value.shape}."
        )
    return value
