"""Train every GAN of the zoo and the VAE on colour images.

Each model trains on the built-in "shapes" data in colour (`--channels 3`:
32x32x3, a random colour per image on black) with `genimg train`, as a
user would on CIFAR-10 (`--data cifar10`), and the last sample grid of
each run is copied to examples/images/colour_MODEL.png.

    python examples/colour_shapes.py [MODEL ...]
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

# Epochs per model: the WGAN-GP's generator learns from one step in six,
# and the VAE's epochs are the cheapest.
EPOCHS = {"dcgan": 5, "cgan": 5, "sngan": 5, "wgan_gp": 10, "vae": 10}
IMAGES = Path(__file__).resolve().parent / "images"

for model in sys.argv[1:] or list(EPOCHS):
    out = Path("runs/colour") / model
    command = ["genimg", "train", model, "--data", "shapes",
               "--channels", "3", "--epochs", str(EPOCHS[model]),
               "--out", str(out), "--overwrite", "--verbose", "0"]  # fmt: skip
    print(" ".join(command), flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    grid = sorted((out / "samples").glob("epoch_*.png"))[-1]
    shutil.copy(grid, IMAGES / f"colour_{model}.png")
    print(f"{model}: {time.perf_counter() - start:.0f} s, grid {grid}")
