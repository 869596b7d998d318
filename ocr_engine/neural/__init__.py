"""Our own Vietnamese text-line recogniser (CRNN + CTC, issue 15), run with ONNX Runtime.

- :mod:`.charset` the character set and its version;
- :mod:`.lineimage` line crop → model input, shared by training and inference;
- :mod:`.decode` CTC decoding (greedy; the hook for beam search + syllable LM);
- :mod:`.infer` the ONNX Runtime session and batched reading of many lines at once.
- :mod:`.tesslayout` Tesseract's line boxes from its layout analysis alone (libtesseract, in process).

Training lives in ``scripts/train_recogniser.py`` (PyTorch, its own venv); nothing here imports torch.
"""
