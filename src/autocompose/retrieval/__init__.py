"""The retrieval stage: pose + text encoders, Combiner, contrastive and cycle losses, training, Recall@K."""
