"""The difference lens: who lives where a dataset lands. Pure Python (no Django)."""
