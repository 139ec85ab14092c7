"""Tests of the play store."""
