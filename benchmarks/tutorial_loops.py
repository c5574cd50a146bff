"""The training loops the TensorFlow tutorials teach, for comparison.

`dcgan_tutorial_step` follows the TensorFlow DCGAN tutorial: two
`GradientTape`s inside one `@tf.function`, one generator pass whose output
feeds both losses, both networks updated from the same forward pass, no
XLA. `cvae_tutorial_step` follows the TensorFlow CVAE tutorial: the
single-sample Monte Carlo ELBO with `log_normal_pdf`, one tape, no XLA.
Both run on whichever networks they are given, so a benchmark can run them
on the zoo's own networks.
"""

import math

import keras
import tensorflow as tf


def tutorial_pipeline(images, batch_size, buffer_size=60_000):
    """The tutorials' input pipeline: shuffle and batch, nothing else."""
    return (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(buffer_size)
        .batch(batch_size)
    )


def dcgan_tutorial_step(generator, discriminator, latent_dim, batch_size):
    """Returns the DCGAN tutorial's `train_step(images)` (images in [-1, 1])."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    generator_optimizer = keras.optimizers.Adam(1e-4)
    discriminator_optimizer = keras.optimizers.Adam(1e-4)

    def discriminator_loss(real_output, fake_output):
        real_loss = cross_entropy(tf.ones_like(real_output), real_output)
        fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(fake_output):
        return cross_entropy(tf.ones_like(fake_output), fake_output)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([batch_size, latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        gradients_of_generator = gen_tape.gradient(
            gen_loss, generator.trainable_variables
        )
        gradients_of_discriminator = disc_tape.gradient(
            disc_loss, discriminator.trainable_variables
        )
        generator_optimizer.apply_gradients(
            zip(gradients_of_generator, generator.trainable_variables)
        )
        discriminator_optimizer.apply_gradients(
            zip(gradients_of_discriminator, discriminator.trainable_variables)
        )
        return gen_loss, disc_loss

    return train_step


def cvae_tutorial_step(encoder, decoder, learning_rate=1e-4):
    """Returns the CVAE tutorial's `train_step(x)` (x in [0, 1])."""
    optimizer = keras.optimizers.Adam(learning_rate)
    variables = encoder.trainable_variables + decoder.trainable_variables

    def log_normal_pdf(sample, mean, logvar, raxis=1):
        log2pi = tf.math.log(2.0 * math.pi)
        return tf.reduce_sum(
            -0.5 * ((sample - mean) ** 2.0 * tf.exp(-logvar) + logvar + log2pi),
            axis=raxis,
        )

    def compute_loss(x):
        mean, logvar = encoder(x, training=True)
        eps = tf.random.normal(shape=tf.shape(mean))
        z = eps * tf.exp(logvar * 0.5) + mean
        x_logit = decoder(z, training=True)
        cross_ent = tf.nn.sigmoid_cross_entropy_with_logits(
            logits=x_logit, labels=x
        )
        logpx_z = -tf.reduce_sum(cross_ent, axis=[1, 2, 3])
        logpz = log_normal_pdf(z, 0.0, 0.0)
        logqz_x = log_normal_pdf(z, mean, logvar)
        return -tf.reduce_mean(logpx_z + logpz - logqz_x)

    @tf.function
    def train_step(x):
        with tf.GradientTape() as tape:
            loss = compute_loss(x)
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    return train_step
