import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_ocr.py"


def test_benchmark_skips_cleanly_without_a_page_set(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "absent")], capture_output=True, text=True)
    assert done.returncode == 0 and "not found" in done.stdout and "nothing to do" in done.stdout
