#!/usr/bin/env python3
"""What a user would write instead of lenet-server, to measure it against: FastAPI + uvicorn +
PyTorch + Pillow serving the write-up's LeNet-5 from the same safetensors file.
POST /api/predict with a PNG, JPEG or PGM body -> {"class", "probabilities"}.

The preparation is the one a tutorial gives (PREP=naive, the default): grey, inverted when the
background is light, resized to 28x28. PREP=opencv prepares as scripts/opencv_peer.py does (the
OpenCV tutorials' Otsu threshold, contours, 20x20 box and centre of mass: a stronger peer).

Usage: LENET_MODEL=MODEL.safetensors uvicorn pytorch_server:app --app-dir scripts --port PORT --workers 2
Needs torch, fastapi, uvicorn, numpy, Pillow, safetensors (and opencv-python-headless for PREP=opencv)."""
import io
import os

import numpy as np
import torch
import torch.nn as nn
from fastapi import FastAPI, Request
from PIL import Image
from safetensors.torch import load_file


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool = nn.AvgPool2d(2, divisor_override=1)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x.flatten(1))))))


OPENCV = os.environ.get("PREP") == "opencv"
if OPENCV:
    from opencv_peer import prepare
torch.set_num_threads(1)
net = Net()
net.load_state_dict(load_file(os.environ["LENET_MODEL"]))
net.eval()
app = FastAPI()


@app.post("/api/predict")
async def predict(request: Request):
    body = await request.body()
    picture = Image.open(io.BytesIO(body)).convert("L")
    if OPENCV:
        ink = prepare(np.asarray(picture, dtype=np.uint8))
        if ink is None:
            return {"error": "no ink"}
        x = (torch.from_numpy(ink) - 0.5) / 0.5
    else:
        grey = np.asarray(picture, dtype=np.float32)
        if np.median(grey) > 127:
            grey = 255 - grey
        small = Image.fromarray(grey.astype(np.uint8)).resize((28, 28), Image.BILINEAR)
        x = (torch.from_numpy(np.asarray(small, dtype=np.float32)) / 255 - 0.5) / 0.5
    with torch.no_grad():
        probabilities = torch.softmax(net(x[None, None]), 1)[0]
    return {"class": int(probabilities.argmax()), "probabilities": probabilities.tolist()}
