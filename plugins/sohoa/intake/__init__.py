"""Vendor intake: the batch contract (manifest + page images), its validation rules, and the intake process
that moves accepted pages to masters, rejected bytes to quarantine, writes the verdict back to the vendor and
registers everything in the catalogue. The same rules run in the vendor's tool (``sohoa vendor validate``).
"""
