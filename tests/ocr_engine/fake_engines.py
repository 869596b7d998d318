"""Small engines that misbehave like real ones do, registered for the tests.

Each behaves well on pages whose id does not contain ``bad`` (one word per page) and fails
on the others the way its name says, through the same child-process wrapper tesseract uses.
"""
from __future__ import annotations

import sys

from ocr_engine._exec import decode_utf8, run
from ocr_engine.engines import PerPageEngine, register
from ocr_engine.model import Box, Line, PageImage, Word


class _Fake(PerPageEngine):
    script = "print('trang')"

    def version(self) -> str:
        return f"{self.name} 1.0"

    def recognize_page(self, page: PageImage) -> list[Line]:
        script = self.script if "bad" in page.page_id else "print('trang')"
        out = run([sys.executable, "-c", script], what=page.page_id, timeout=self.timeout)
        text = decode_utf8(out, what=page.page_id).strip()
        return [Line((Word(text, Box(10, 10, 100, 40), 0.9),))]


@register
class CrashEngine(_Fake):
    name = "fake-crash"
    script = "import sys; sys.stderr.write('Segmentation fault in recogniser'); sys.exit(139)"


@register
class HangEngine(_Fake):
    name = "fake-hang"
    script = "import time; time.sleep(120)"


@register
class OomEngine(_Fake):
    """The OOM killer's signature: the child dies by SIGKILL."""
    name = "fake-oom"
    script = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"


@register
class BadUtf8Engine(_Fake):
    name = "fake-bad-utf8"
    script = "import sys; sys.stdout.buffer.write(b'QUY\\xff\\xfeT \\xc3')"


@register
class BuggyEngine(_Fake):
    """A bug inside the engine's own Python code, not in a child process."""
    name = "fake-buggy"

    def recognize_page(self, page: PageImage) -> list[Line]:
        if "bad" in page.page_id:
            raise ZeroDivisionError("division by zero")
        return super().recognize_page(page)


@register
class EthEngine(_Fake):
    """Emits decomposed text with Icelandic eth, as engines do for Đ."""
    name = "fake-eth"
    script = "print('\\u00d0I\\u0323NH')"

    def recognize_page(self, page: PageImage) -> list[Line]:
        out = run([sys.executable, "-c", self.script], what=page.page_id, timeout=self.timeout)
        return [Line((Word(decode_utf8(out, what=page.page_id).strip(), Box(0, 0, 50, 20), 0.5),))]


@register
class ForgetfulEngine(_Fake):
    """Breaks the interface contract: returns nothing for a batch."""
    name = "fake-forgetful"

    def recognize(self, pages):
        return []
