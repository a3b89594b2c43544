"""What the desk knows about each municipality: the DX status tracker and standardisation."""
