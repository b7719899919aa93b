"""Customer segments: feature matrix, model choice, stability, descriptions, audiences."""
