"""Programs built on the library, apart from its core: the demo and the metrics collector."""
