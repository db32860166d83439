"""Live numbers that routing reads and the engine writes: latency windows, in-flight counts and
circuit breakers, behind one interface (in-process here; a shared store can implement it)."""
