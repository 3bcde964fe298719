"""Local servers that answer like the platforms the sources talk to (loopback only)."""
