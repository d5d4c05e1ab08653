"""ONNX models: the contract checked at load, onnxruntime sessions, worker threads."""
