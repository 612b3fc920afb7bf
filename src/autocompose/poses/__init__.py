"""Poses: the canonical 3D skeleton, pose sequences, transforms and loaders."""

from autocompose.poses.sequence import PoseSequence
from autocompose.poses.skeleton import JOINT_NAMES, NUM_JOINTS, joint_index

__all__ = ["JOINT_NAMES", "NUM_JOINTS", "PoseSequence", "joint_index"]
