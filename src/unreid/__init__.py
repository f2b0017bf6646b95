"""unreid: unsupervised person re-identification with multi-level feature contrastive learning."""

__version__ = "0.1.0"
