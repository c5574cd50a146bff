"""Bad inputs of the serving `Client` and its exports.

Each fails with one clear line; `tests/bad_inputs/test_bad_inputs.py` runs
every area's table and checks the README's count against them all.
"""

from keras_genimg.serving import Client
from tests.bad_inputs import (
    DAMAGED,
    LATENT_DIM,
    NAMES,
    NO_VARS,
    SERVING,
    api,
    zeros,
)

CASES = [
    # === Unknown model or data names ===
    api(
        "unknown-signature",
        NAMES,
        lambda env: env.client.predict("no_such_signature", {}),
        ValueError,
        "no_such_signature",
    ),
    # === A SavedModel version directory without variables ===
    api(
        "client-without-variables",
        NO_VARS,
        lambda env: Client.from_saved_model(env.files["no_variables"]),
        FileNotFoundError,
        "has no variables .*variables.index is missing.* incomplete",
    ),
    api(
        "client-with-empty-variables",
        NO_VARS,
        lambda env: Client.from_saved_model(env.files["empty_variables"]),
        FileNotFoundError,
        "has no variables",
    ),
    # === A damaged model file or export ===
    *[
        api(
            f"open-export-{name}",
            DAMAGED,
            lambda env, name=name: Client.from_saved_model(env.files[name]),
            ValueError,
            f"{name}/1' cannot be loaded .*damaged or truncated.*{reason}",
        )
        for name, reason in [
            ("truncated_pb", "MetaGraphDef|parse"),
            ("truncated_variables", "Read less bytes"),
        ]
    ],
    # === A serving request with the wrong width of z ===
    api(
        "generate-z-too-wide",
        SERVING,
        lambda env: env.client.generate(zeros(2, LATENT_DIM + 1)),
        ValueError,
        r"Input 'z' of signature 'serving_default' must have shape "
        r"\(batch, 4\)\. Received shape \(2, 5\)",
    ),
    api(
        "generate-z-list-too-narrow",
        SERVING,
        lambda env: env.client.generate([[0.0] * (LATENT_DIM - 1)]),
        ValueError,
        r"must have shape \(batch, 4\)\. Received shape \(1, 3\)",
    ),
    api(
        "decode-z-too-wide",
        SERVING,
        lambda env: env.client.predict(
            "decode", {"z": zeros(1, 2 * LATENT_DIM)}
        ),
        ValueError,
        r"Input 'z' of signature 'decode' must have shape \(batch, 4\)",
    ),
    api(
        "session-z-too-wide",
        SERVING,
        lambda env: env.client.transport.predict(
            "serving_default", {"z": zeros(2, LATENT_DIM + 1)}, {}
        ),
        ValueError,
        r"Cannot feed value of shape \(2, 5\)",
    ),
]
