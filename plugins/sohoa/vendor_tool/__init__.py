"""The vendor's tool (``sohoa vendor``): check a batch locally with the server's rules, upload it, read the verdict."""
