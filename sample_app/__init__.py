"""A small order service built with constructs_pkg; ``cdk synth`` runs it via cdk.json."""
