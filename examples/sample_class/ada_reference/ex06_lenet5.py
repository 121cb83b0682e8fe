"""Ada's LeNet-5: the functional API, ReLU, max pooling, standardized inputs, a one-cycle schedule."""

import keras
import numpy as np

MEAN, STD = 0.1307, 0.3081


def build_lenet5(input_shape=(28, 28, 1), num_classes=10):
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Rescaling(1 / STD, offset=-MEAN / STD)(inputs)
    x = keras.layers.Conv2D(6, 5, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(16, 5, padding="valid", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(120, activation="relu")(x)
    x = keras.layers.Dense(84, activation="relu")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def train_lenet5(model, x_train, y_train, epochs=4, batch_size=128):
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        3e-4, decay_steps=steps - steps // 8, warmup_target=4e-3, warmup_steps=steps // 8)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=2)
