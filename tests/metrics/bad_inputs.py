"""Bad inputs of the metrics: judges and their training.

Each fails with one clear line; `tests/bad_inputs/test_bad_inputs.py` runs
every area's table and checks the README's count against them all.
"""

import numpy as np

from keras_genimg.metrics import judge_extractor, train_judge
from tests.bad_inputs import ARGUMENT, OTHER, SHAPE, api

CASES = [
    api(
        "judge-a-zoo-model",
        OTHER,
        lambda env: judge_extractor(env.files["vae.keras"]),
        ValueError,
        r"VAE '\w+' is not a classifier",
    ),
    api(
        "judge-holdout-of-every-image",
        ARGUMENT,
        lambda env: train_judge(
            np.zeros((3, *SHAPE), "float32"), [0, 1, 0], holdout=0.9
        ),
        ValueError,
        r"`holdout` 0\.9 of 3 images leaves no image to train on",
    ),
]
