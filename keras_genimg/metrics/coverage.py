"""How generated samples spread over the classes of labelled data."""

import numpy as np


def class_coverage(fake_probabilities, real_labels, real_covered=None):
    """Per-class share of generated samples, against the data's.

    A classifier trained on the data (the judge) assigns each generated
    image its most likely class. A model that covers the data generates
    each class about as often as it appears in the data; a collapsed one
    makes a few classes only.

    Args:
        fake_probabilities: array `(M, C)`. Class probabilities of the
            generated images.
        real_labels: int array `(N,)`. Labels of the reference images, in
            [0, C).
        real_covered: bool array `(N,)` or None. Whether each reference
            image lies in the generated samples' manifold (from
            `manifold_membership`); gives each class's recall.

    Returns:
        A dict: `"per_class"`, a list of `{"class", "generated_share",
        "data_share"[, "recall"]}`, one per class; `"balance"`, the
        overlap `sum_c min(generated_share, data_share)` in [0, 1] (1 when
        the generated class mix matches the data's); and `"missing"`, the
        classes generated less than a tenth as often as in the data.

    Example:
    >>> probs = np.eye(2)[[0, 0, 0, 0]]
    >>> result = class_coverage(probs, np.array([0, 1, 0, 1]))
    >>> result["balance"], result["missing"]
    (0.5, [1])
    """
    probs = np.asarray(fake_probabilities)
    labels = np.asarray(real_labels).astype("int64")
    num_classes = probs.shape[1]
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"Labels must be in [0, {num_classes}) to match the classifier's "
            f"{num_classes} classes; found [{labels.min()}, {labels.max()}]."
        )
    generated = np.bincount(probs.argmax(axis=1), minlength=num_classes)
    generated = generated / len(probs)
    data = np.bincount(labels, minlength=num_classes) / len(labels)
    per_class = []
    for c in range(num_classes):
        entry = {
            "class": c,
            "generated_share": float(generated[c]),
            "data_share": float(data[c]),
        }
        if real_covered is not None and data[c] > 0:
            entry["recall"] = float(np.mean(real_covered[labels == c]))
        per_class.append(entry)
    return {
        "per_class": per_class,
        "balance": float(np.minimum(generated, data).sum()),
        "missing": [
            c
            for c in range(num_classes)
            if data[c] > 0 and generated[c] < 0.1 * data[c]
        ],
    }
