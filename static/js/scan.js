// The outlet page. Each code is posted with fetch to the scanner's endpoint (data-redeem-url) and
// the answer shown in place (one big word and the day's counts), so a counter can go from voucher to
// voucher; without JavaScript the form posts to the page as usual. Where the browser has
// BarcodeDetector, the camera scans QR codes continuously.
// No inline scripts: the CSP forbids them.
(() => {
  const form = document.getElementById("redeem-form");
  const input = document.getElementById("code");
  if (!form || !input) return;
  const verdict = document.querySelector(".verdict");
  const word = verdict.querySelector(".word");
  const message = verdict.querySelector("p");

  const show = (answer) => {
    if (answer.result) {
      verdict.hidden = false;
      verdict.dataset.result = answer.result;
      verdict.className = `verdict verdict-${answer.result}`;
      word.textContent = answer.word;
      message.textContent = answer.message;
    }
    Object.entries(answer.counts || {}).forEach(([name, value]) => {
      const cell = document.querySelector(`[data-count="${name}"]`);
      if (cell) cell.textContent = value;
    });
  };

  let busy = false;
  const redeem = async (code) => {
    if (busy) return;
    busy = true;
    const body = new FormData(form);
    body.set("code", code);
    try {
      const response = await fetch(form.dataset.redeemUrl, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (response.redirected) throw new Error("signed out");
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      show(await response.json());
      input.value = "";
    } catch (error) {
      form.submit(); // let the server page say what went wrong (signed out, expired form …)
    } finally {
      busy = false;
      input.focus();
    }
  };

  form.addEventListener("submit", (event) => {
    if (!window.fetch) return;
    event.preventDefault();
    redeem(input.value);
  });

  const box = document.getElementById("camera");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return;
  const video = box.querySelector("video");
  const note = box.querySelector("[data-scan-note]");
  const start = box.querySelector("[data-scan-start]");
  // The QR holds the outlet's scan address ending in the code; a bare code works too.
  const codeFrom = (text) => decodeURIComponent(text.trim().replace(/\/+$/, "").split("/").pop() || "");
  let last = { code: "", at: 0 };

  const scan = async () => {
    const formats = await BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) {
      box.hidden = true;
      return;
    }
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    window.addEventListener("pagehide", () => stream.getTracks().forEach((track) => track.stop()));
    video.srcObject = stream;
    video.hidden = false;
    note.hidden = false;
    start.hidden = true;
    await video.play();
    const look = async () => {
      const found = await detector.detect(video).catch(() => []);
      const code = found.length ? codeFrom(found[0].rawValue) : "";
      // The same QR stays in view for a while: answer it once, not every frame.
      if (code && (code !== last.code || Date.now() - last.at > 4000)) {
        last = { code, at: Date.now() };
        await redeem(code);
      }
      setTimeout(look, 200);
    };
    look();
  };

  box.hidden = false;
  start.addEventListener("click", () => scan().catch(() => { start.hidden = false; }));
})();
