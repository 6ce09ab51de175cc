"""Data the network learns from: ``datasets`` (the bundled 8x8 digits, MNIST and
Fashion-MNIST, their download and IDX files) and ``datasets2d`` (the 2-D toy sets
the Boundaries page draws). Nothing here trains anything."""
