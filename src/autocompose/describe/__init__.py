"""Describe: annotators that turn a pose pair into structured transition descriptions."""

from autocompose.describe.base import NO_CHANGE, VARIANTS, Annotator, Movement, TransitionDescription
from autocompose.describe.kinematic import KinematicDescriber
from autocompose.describe.natural import NaturalDescriber
from autocompose.describe.rules import RuleBasedDescriber
from autocompose.describe.variants import cycle_check, cycle_consistency, describe_variants

ANNOTATORS = {"kinematic": KinematicDescriber, "natural": NaturalDescriber, "rules": RuleBasedDescriber}


def get_annotator(name: str) -> Annotator:
    """An annotator by name; raises ``KeyError`` listing the available ones."""
    try:
        return ANNOTATORS[name]()
    except KeyError:
        raise KeyError(f"unknown annotator {name!r}; available: {', '.join(ANNOTATORS)}") from None


__all__ = [
    "ANNOTATORS",
    "NO_CHANGE",
    "VARIANTS",
    "Annotator",
    "KinematicDescriber",
    "Movement",
    "NaturalDescriber",
    "RuleBasedDescriber",
    "TransitionDescription",
    "cycle_check",
    "cycle_consistency",
    "describe_variants",
    "get_annotator",
]
