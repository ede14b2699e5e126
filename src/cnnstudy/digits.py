"""The shape of a digit every trained variant takes: one constant shared by data and models,
so that neither imports the other."""

IMAGE_SIZE = (28, 28)
