"""Checks a browser screenshot of report.html is a rendered page, not a blank or broken one: the
page's background, the big blue accuracy figure, the red/blue bars of the charts and the black ink
of the digit images must all be there.

  python3 scripts/check_screenshot.py SHOT.png
"""
import sys
from PIL import Image

image = Image.open(sys.argv[1]).convert("RGB")
width, height = image.size
raw = image.tobytes()
pixels = list(zip(raw[0::3], raw[1::3], raw[2::3]))
def share(test):
    return sum(1 for p in pixels if test(p)) / len(pixels)
blue = share(lambda p: p[2] > 180 and p[0] < 80 and p[1] < 140)     # #2563eb / #1d4ed8: accuracy, bars
red = share(lambda p: p[0] > 180 and p[1] < 80 and p[2] < 80)       # #dc2626: wrong-prediction bars
dark = share(lambda p: max(p) < 60)                                   # text and digit ink
light = share(lambda p: min(p) > 230)                                 # page and cards
print("screenshot %dx%d: blue %.4f, red %.4f, dark %.4f, light %.4f" % (width, height, blue, red, dark, light))
assert width >= 800 and height >= 2000, "the screenshot is too small"
assert light > 0.5, "the page background is missing"
assert blue > 0.001 and red > 0.0005, "the charts' colours are missing"
assert dark > 0.005, "no text or digit ink"
print("the report renders in Chromium")
