"""File writing that survives interruption (see :mod:`unreid.io.atomic_file`)."""
