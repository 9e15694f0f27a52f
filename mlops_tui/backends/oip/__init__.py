"""The `oip` backend: deployment health from Open Inference Protocol v2 servers (MLServer, Triton, KServe)."""
