"""Pairs: leak-free splits and mining of reference/target pose pairs."""

from autocompose.pairs.mining import MiningConfig, mine_pairs
from autocompose.pairs.pairset import Pair, PairSet
from autocompose.pairs.splits import SPLITS, assign_splits

__all__ = ["SPLITS", "MiningConfig", "Pair", "PairSet", "assign_splits", "mine_pairs"]
