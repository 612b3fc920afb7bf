"""autocompose: composed pose retrieval with automatically generated transition text."""

__version__ = "0.1.0"
