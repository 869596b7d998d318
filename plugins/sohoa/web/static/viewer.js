// The page viewer (sohoa.web.viewer): select a line on the image or in the list, correct it, move with the keys.
// The overlay is drawn by the server; this script only selects, zooms, edits and saves. No other host is reached.
(function () {
  "use strict";
  const state = JSON.parse(document.getElementById("viewer-state").textContent);
  const stage = document.getElementById("stage");
  const editor = document.getElementById("editor");
  const input = document.getElementById("line-text");
  const status = document.getElementById("status");
  const lineNo = document.getElementById("line-no");
  const version = document.getElementById("version");
  const items = Array.from(document.querySelectorAll("#lines li"));
  const boxes = Array.from(document.querySelectorAll("#overlay g.line"));
  const ZOOMS = [1, 1.5, 2, 3, 4];
  let zoom = 0;
  let current = null;
  let saving = false;

  function say(text, kind) {
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function select(n, opts) {
    if (n < 1 || n > items.length) return;
    current = n;
    for (const el of items.concat(boxes)) el.classList.toggle("selected", Number(el.dataset.line) === n);
    const item = items[n - 1];
    item.scrollIntoView({block: "nearest"});
    boxes[n - 1].querySelector("rect").scrollIntoView({block: "center", inline: "nearest"});
    if (state.sua && !(opts && opts.noEdit)) edit(n);
  }

  function edit(n) {
    editor.hidden = false;
    lineNo.textContent = n;
    input.value = items[n - 1].textContent;
    input.focus();
    input.select();
  }

  function close() {
    editor.hidden = true;
    if (current) items[current - 1].focus();
  }

  async function save() {
    if (saving || !current) return;
    const n = current;
    const text = input.value;
    if (text.trim() === items[n - 1].textContent) {  // unchanged: on to the next line
      if (n < items.length) select(n + 1); else close();
      return;
    }
    saving = true;
    say("Đang lưu…");
    try {
      const answer = await fetch(new URL(state.so_trang + "/dong/" + n, location.href), {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-Sohoa-Request": "sua-dong"},
        body: JSON.stringify({text: text, phien_ban: state.phien_ban}),
      });
      let body = {};
      try {
        body = await answer.json();
      } catch (e) {
        body = {loi: answer.status === 401 || answer.status === 403
          ? "Phiên đăng nhập đã hết hạn: hãy tải lại trang để đăng nhập lại; chỗ sửa chưa được lưu."
          : "Máy chủ trả lời không đúng dạng (" + answer.status + "); chỗ sửa chưa được lưu."};
      }
      if (!answer.ok) { say(body.loi || ("Không lưu được (" + answer.status + ")."), "error"); return; }
      state.phien_ban = body.phien_ban;
      version.textContent = body.phien_ban;
      items[n - 1].textContent = body.chu;
      boxes[n - 1].querySelector("title").textContent = body.chu;
      say("Đã lưu dòng " + n + " (phiên bản " + body.phien_ban + "); tệp PDF/A của văn bản được dựng lại sau.", "ok");
      if (n < items.length) select(n + 1); else close();
    } catch (e) {
      say("Không gửi được chỗ sửa (mất kết nối?); chưa lưu.", "error");
    } finally {
      saving = false;
    }
  }

  function setZoom(index) {
    zoom = Math.max(0, Math.min(ZOOMS.length - 1, index));
    stage.classList.toggle("zoomed", zoom > 0);
    stage.style.width = zoom > 0 ? (ZOOMS[zoom] * 100) + "%" : "";
    if (current) boxes[current - 1].querySelector("rect").scrollIntoView({block: "center", inline: "center"});
  }

  function go(id) {
    const link = document.getElementById(id);
    if (link) location.href = link.href;
  }

  for (const el of items.concat(boxes)) el.addEventListener("click", () => select(Number(el.dataset.line)));
  editor.addEventListener("submit", (event) => { event.preventDefault(); save(); });
  document.getElementById("cancel").addEventListener("click", close);
  document.getElementById("zoom-in").addEventListener("click", () => setZoom(zoom + 1));
  document.getElementById("zoom-out").addEventListener("click", () => setZoom(zoom - 1));
  document.getElementById("zoom-fit").addEventListener("click", () => setZoom(0));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); save(); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  document.addEventListener("keydown", (event) => {
    if (event.target === input || event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key;
    if (key === "ArrowDown" || key === "j") select(current ? current + 1 : 1, {noEdit: true});
    else if (key === "ArrowUp" || key === "k") select(current ? current - 1 : 1, {noEdit: true});
    else if (key === "Enter" && current && state.sua) edit(current);
    else if (key === "n" || key === "PageDown") go("next-page");
    else if (key === "p" || key === "PageUp") go("prev-page");
    else if (key === "+" || key === "=") setZoom(zoom + 1);
    else if (key === "-") setZoom(zoom - 1);
    else if (key === "0") setZoom(0);
    else return;
    event.preventDefault();
  });
  if (state.chon) select(state.chon, {noEdit: true});
})();
