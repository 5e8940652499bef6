"""trialkg: clinical-trial registry records as a linked-data knowledge graph."""

__version__ = "0.1.0"
