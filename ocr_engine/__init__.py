"""ocr_engine: page images in; preprocessed, recognised, ALTO, text and two-layer PDF/A out.

A library and a CLI (``python -m ocr_engine``) that knows images and text only: no Airflow,
S3 or database. Modules, one per capability:

- :mod:`.images` open page files safely; :mod:`.preprocess` orientation, deskew, crop, streaks;
  :mod:`.qc` quality metrics and verdicts;
- :mod:`.engines` the engine interface and registry (``tesseract``, optional ``paddle``);
- :mod:`.alto`, :mod:`.pdf` outputs (``pdf.validate_pdfa``); :mod:`.pipeline` the stages
  wired together; :mod:`.synth` synthetic Vietnamese administrative pages for tests and demos.
"""
__version__ = "0.1.0"
