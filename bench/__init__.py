"""SpinStack's benchmarks (`make bench`): JSON on stdout, progress on stderr."""
