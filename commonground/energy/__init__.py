"""Community energy: solar estimates for homes, on top of places and ``commonground.solar``."""
