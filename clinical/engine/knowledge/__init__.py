"""The knowledge base: its data files, their schema, the loader and the vocabulary."""
