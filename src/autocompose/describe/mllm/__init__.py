"""The MLLM annotator (AutoComPose's core): rendered pair in, body-part-structured JSON out."""

from autocompose.describe.mllm.client import MLLMConfig
from autocompose.describe.mllm.run import MLLMDescriber, RunStats, annotate_pairs_mllm

__all__ = ["MLLMConfig", "MLLMDescriber", "RunStats", "annotate_pairs_mllm"]
