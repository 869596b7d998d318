"""ocr_engine: page images in; preprocessed, recognised, ALTO, text and two-layer PDF/A out.

A library and a CLI (``python -m ocr_engine``) that knows images and text only: no Airflow,
S3 or database. Modules, one per capability:

- :mod:`.images` open page files safely; :mod:`.preprocess` crop, orientation, streaks, deskew;
  :mod:`.qc` quality metrics and verdicts; :mod:`.linesheet` pages with streaks across their
  text, cut into a sheet of lines for the engine;
- :mod:`.engines` the engine interface and registry (``tesseract``, optional ``paddle``), with
  :mod:`.layout` (reading order) and :mod:`.textnorm` (NFC, Đ) applied to every engine's output;
  :mod:`._exec` thin wrappers around the external programs;
- :mod:`.alto`, :mod:`.pdf` outputs (``pdf.validate_pdfa``), :mod:`.fonts`, :mod:`.icc` for the
  PDF/A; :mod:`.pipeline` the stages wired together; :mod:`.cli` the command line;
- :mod:`.synth` synthetic Vietnamese administrative pages for tests and demos;
  :mod:`.metrics` CER/WER against ground truth.
"""
__version__ = "0.1.0"
