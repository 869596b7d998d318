"""Processing of accepted pages: plan chunks → OCR → PDF/A per văn bản → proposed metadata → review queue.

Plain functions over a catalogue connection and an S3 client; the DAG ``sohoa_process`` only wires them.
"""
