"""The dataset stage: the on-disk CPR format, benchmark builders, CLIP4Cir export/import."""

from autocompose.data.format import CPRDataset, CPRPair, DatasetFormatError, Gallery, PoseTable

__all__ = ["CPRDataset", "CPRPair", "DatasetFormatError", "Gallery", "PoseTable"]
