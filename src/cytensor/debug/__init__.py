"""Debugging tools, built on the compile stage: DebugMode and NanGuardMode,
profiling, printing graphs, test values."""
