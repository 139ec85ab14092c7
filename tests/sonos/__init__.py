"""Tests of the Sonos room: real payloads in, engine observations out."""
