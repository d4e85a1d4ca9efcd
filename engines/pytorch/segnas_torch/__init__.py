"""SegNAS Studio's PyTorch trainer: the network, loss, optimizer, augmentation and training loop of the
TensorFlow.js engine (main/train), behind the same NDJSON trainer protocol (docs/protocol.md).

Run as `python3 -m segnas_torch [--device cuda|mps|cpu] [--precision fp32|bf16|fp16]` with
`engines/pytorch` on PYTHONPATH. Standard library + torch only; Python >= 3.9, torch >= 1.13.
"""

ENGINE = "pytorch"
ENGINE_VERSION = "1"
