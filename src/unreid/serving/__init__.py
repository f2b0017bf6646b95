"""``unreid serve``: a small local web page and JSON API over a gallery index."""
