"""Each collection's declaration and behaviour, one module a collection (PocketBase's collections with their
record hooks); :mod:`oneclick_records.model` gathers them."""
