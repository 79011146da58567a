"""The demo business end to end: generated data imported, then every domain run over it."""
