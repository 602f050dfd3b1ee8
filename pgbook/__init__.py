"""pgbook: the helper package of the book *The policy gradient, from first principles*.

Each module carries one idea of the derivation; names follow the math.
"""

__version__ = "0.1.0"
