"""A trained network meets a drawn digit: ``preprocess`` turns a canvas drawing into
the network's input, ``strokes`` draws digits the way a mouse does (for tests and
benchmarks), ``explain`` says which pixels and units made the answer, ``novelty``
says when a drawing is not a digit at all, and ``personal`` keeps a user's own
corrected drawings and fine-tunes on them."""
