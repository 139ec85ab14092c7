"""Tests of the project's shape: layering, manifest, packaging."""
