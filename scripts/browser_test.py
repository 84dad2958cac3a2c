#!/usr/bin/env python3
"""The browser test of `lenet serve`: headless Chromium (Debian's chromium-headless-shell) loads the
page, a script draws a real MNIST test digit on the canvas with pointer events (one horizontal stroke
per run of ink in each row of the 28x28 digit, scaled to the 280x280 pad), and the page must show the
digit's label as its answer. Then each --photo FILE:LABEL is chosen in the page's upload button (as a
user picks a file) and the page must answer LABEL: a photo over 3 MB is shrunk by the page before it
is sent, since the server takes at most 4 MB. Also saves a screenshot of the page. With --number
I,J,..., the page is switched to "A number", those test digits are drawn side by side on the wide pad
(4 at most, each at 7x), and the page must show the number and box each digit.

  python3 scripts/browser_test.py http://127.0.0.1:PORT/ SCREENSHOT.png [TEST_INDEX ...] [--photo FILE:LABEL ...]
                                  [--number I,J,...]

Needs websocket-client (PyPI) to speak the DevTools protocol.
"""
import base64, gzip, json, os, shutil, subprocess, sys, tempfile, time, urllib.request
import websocket

url, screenshot = sys.argv[1], sys.argv[2]
arguments = sys.argv[3:]
photos = [arguments[i + 1] for i, a in enumerate(arguments) if a == "--photo"]
numbers = [[int(n) for n in arguments[i + 1].split(",")] for i, a in enumerate(arguments) if a == "--number"]
flags = ("--photo", "--number")
indices = [int(a) for i, a in enumerate(arguments) if a not in flags and (i == 0 or arguments[i - 1] not in flags)] or [0, 1, 2, 3, 4]
root = os.path.join(os.path.dirname(__file__), "..", "data", "MNIST", "raw")
images = gzip.open(os.path.join(root, "t10k-images-idx3-ubyte.gz")).read()[16:]
labels = gzip.open(os.path.join(root, "t10k-labels-idx1-ubyte.gz")).read()[8:]

browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
port = 9333
profile = tempfile.mkdtemp()
chrome = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
                           f"--user-data-dir={profile}", "--window-size=1200,1000", "about:blank"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
            page = next(t for t in targets if t["type"] == "page")
            break
        except Exception:
            time.sleep(0.1)
    else:
        sys.exit("FAIL: Chromium's DevTools endpoint did not come up")
    socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
    counter = [0]

    def call(method, **params):
        counter[0] += 1
        socket.send(json.dumps({"id": counter[0], "method": method, "params": params}))
        while True:
            message = json.loads(socket.recv())
            if message.get("id") == counter[0]:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(expression):
        result = call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    call("Page.enable")
    call("Page.navigate", url=url)
    for _ in range(100):
        if evaluate("document.readyState") == "complete" and evaluate("typeof window.lenet") == "object":
            break
        time.sleep(0.1)
    else:
        sys.exit("FAIL: the page did not load")

    def strokes_of(index, scale=10, left=0):
        """One horizontal stroke per run of ink in each row of test digit `index`, at `scale`."""
        digit = images[index * 784:(index + 1) * 784]
        strokes = []
        for y in range(28):
            x = 0
            while x < 28:
                if digit[y * 28 + x] > 100:
                    start = x
                    while x < 28 and digit[y * 28 + x] > 100:
                        x += 1
                    strokes.append([(left + start * scale + scale // 2, y * scale + scale // 2),
                                    (left + (x - 1) * scale + scale // 2, y * scale + scale // 2)])
                x += 1
        return strokes

    failures = 0
    for index in indices:
        label = labels[index]
        strokes = strokes_of(index)
        # Real pointer events on the canvas, in page coordinates.
        script = """
        (async () => {
          window.lenet.clear();
          const pad = document.getElementById("pad");
          const box = pad.getBoundingClientRect();
          const fire = (type, x, y) => pad.dispatchEvent(new PointerEvent(type, {
            bubbles: true, cancelable: true, pointerId: 1, pointerType: "pen", isPrimary: true,
            clientX: box.left + x * box.width / pad.width, clientY: box.top + y * box.height / pad.height }));
          for (const [[x0, y0], [x1, y1]] of %s) {
            fire("pointerdown", x0, y0);
            for (let t = 1; t <= 4; t++) fire("pointermove", x0 + (x1 - x0) * t / 4, y0 + (y1 - y0) * t / 4);
            fire("pointerup", x1, y1);
          }
          // Wait for the answer to the final drawing.
          for (let i = 0; i < 200; i++) {
            await new Promise((r) => setTimeout(r, 25));
            const w = document.getElementById("winner");
            if (w.dataset.state === "ready" && window.lenet.last && !window.lenet.busy()) return w.textContent;
          }
          return "no answer";
        })()
        """ % json.dumps(strokes)
        shown = evaluate(script)
        ok = shown == str(label)
        failures += not ok
        print(f"test digit {index} (a {label}), drawn in {len(strokes)} strokes: the page says {shown} {'ok' if ok else 'WRONG'}")
    for photo in photos:
        path, label = photo.rsplit(":", 1)
        evaluate("window.lenet.clear(), window.lenet.last = null, window.lenet.error = null, 0")
        call("DOM.enable")
        document = call("DOM.getDocument")["root"]["nodeId"]
        node = call("DOM.querySelector", nodeId=document, selector="#file")["nodeId"]
        call("DOM.setFileInputFiles", files=[os.path.abspath(path)], nodeId=node)
        shown = evaluate("""
        (async () => {
          for (let i = 0; i < 400; i++) {
            await new Promise((r) => setTimeout(r, 25));
            const w = document.getElementById("winner");
            if (window.lenet.error && !window.lenet.busy()) return "error: " + window.lenet.error;
            if (window.lenet.last && !window.lenet.busy()) return w.textContent;
          }
          return "no answer";
        })()
        """)
        ok = shown == label
        failures += not ok
        print(f"photo {path} ({os.path.getsize(path):,} bytes, a {label}), uploaded: the page says {shown} {'ok' if ok else 'WRONG'}")
    time.sleep(0.5)  # let the bars finish their short transition
    shot = call("Page.captureScreenshot", format="png")
    with open(screenshot, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print(f"screenshot: {screenshot}")
    for number in numbers:
        strokes = [s for k, index in enumerate(number[:4]) for s in strokes_of(index, scale=7, left=14 + 200 * k)]
        truth = "".join(str(labels[i]) for i in number[:4])
        shown = evaluate("""
        (async () => {
          window.lenet.setMode("number");
          window.lenet.clear();
          const pad = document.getElementById("pad");
          const box = pad.getBoundingClientRect();
          const fire = (type, x, y) => pad.dispatchEvent(new PointerEvent(type, {
            bubbles: true, cancelable: true, pointerId: 1, pointerType: "pen", isPrimary: true,
            clientX: box.left + x * box.width / pad.width, clientY: box.top + y * box.height / pad.height }));
          for (const [[x0, y0], [x1, y1]] of %s) {
            fire("pointerdown", x0, y0);
            for (let t = 1; t <= 4; t++) fire("pointermove", x0 + (x1 - x0) * t / 4, y0 + (y1 - y0) * t / 4);
            fire("pointerup", x1, y1);
          }
          for (let i = 0; i < 200; i++) {
            await new Promise((r) => setTimeout(r, 25));
            const text = document.getElementById("number-text");
            if (window.lenet.last && !window.lenet.busy() && text.dataset.state === "ready")
              return text.textContent + " " + document.querySelectorAll("#number-digits li").length;
          }
          return "no answer";
        })()
        """ % json.dumps(strokes))
        ok = shown == f"{truth} {len(truth)}"
        failures += not ok
        print(f"test digits {number[:4]} drawn side by side as a number: the page says {shown!r} {'ok' if ok else 'WRONG'}")
    if numbers:
        shot = call("Page.captureScreenshot", format="png")
        with open(screenshot.replace(".png", "-number.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    socket.close()
    if failures:
        sys.exit(f"FAIL: {failures} of {len(indices) + len(photos) + len(numbers)} drawn digits, photos and numbers were not read right")
    print("the page reads digits drawn on its canvas" + (" and uploaded photos" if photos else ""))
finally:
    chrome.terminate()
    chrome.wait()
    shutil.rmtree(profile, ignore_errors=True)
