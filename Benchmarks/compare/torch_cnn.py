#!/usr/bin/env python3
"""The reference tutorial's CNN in PyTorch (CPU), trained with the same protocol as `embedviz train`:
Conv2d(1,16,3) BatchNorm2d ReLU MaxPool2d(2) ReLU Flatten Linear(2704,100) ReLU Linear(100,10),
Adam(lr 1e-3), batch 32, a seeded 55,000/5,000 split, best-validation-loss checkpoint.
Reads MNIST from the IDX files of `make data`. Prints one JSON line per epoch and a final summary.

Usage: torch_cnn.py [--data data/mnist] [--epochs 20] [--threads 2] [--seed 1]
"""
import argparse
import copy
import json
import time

import numpy as np
import torch
import torch.nn as nn


def idx(path):
    raw = open(path, "rb").read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3)
        self.bn = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(2704, 100)
        self.fc2 = nn.Linear(100, 10)

    def forward(self, x):
        x = torch.relu(nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2))
        embedding = self.fc1(x.flatten(1))
        return self.fc2(torch.relu(embedding)), embedding


def evaluate(model, x, y, batch=1000):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits, _ = model(x[i:i + batch])
            loss += nn.functional.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(x), correct / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images = torch.tensor(idx(f"{a.data}/train-images-idx3-ubyte"), dtype=torch.float32).unsqueeze(1) / 255
    labels = torch.tensor(idx(f"{a.data}/train-labels-idx1-ubyte"), dtype=torch.long)
    test_x = torch.tensor(idx(f"{a.data}/t10k-images-idx3-ubyte"), dtype=torch.float32).unsqueeze(1) / 255
    test_y = torch.tensor(idx(f"{a.data}/t10k-labels-idx1-ubyte"), dtype=torch.long)
    order = torch.randperm(60000)
    train_idx, val_idx = order[:55000], order[55000:]
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best, best_loss, best_epoch = None, float("inf"), 0
    epoch_times = []
    for epoch in range(1, a.epochs + 1):
        model.train()
        perm = train_idx[torch.randperm(len(train_idx))]
        start = time.perf_counter()
        total, correct = 0.0, 0
        for i in range(0, len(perm), 32):
            b = perm[i:i + 32]
            logits, _ = model(images[b])
            loss = nn.functional.cross_entropy(logits, labels[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
            correct += (logits.argmax(1) == labels[b]).sum().item()
        seconds = time.perf_counter() - start
        epoch_times.append(seconds)
        val_loss, val_acc = evaluate(model, images[val_idx], labels[val_idx])
        if val_loss < best_loss:
            best, best_loss, best_epoch = copy.deepcopy(model.state_dict()), val_loss, epoch
        print(json.dumps({"epoch": epoch, "train_loss": total / len(perm), "train_accuracy": correct / len(perm),
                          "validation_loss": val_loss, "validation_accuracy": val_acc, "seconds": seconds}), flush=True)
    model.load_state_dict(best)
    test_loss, test_acc = evaluate(model, test_x, test_y)
    start = time.perf_counter()
    model.eval()
    with torch.no_grad():
        _ = model(test_x)[1]
    embed_seconds = time.perf_counter() - start
    print(json.dumps({"summary": True, "torch": torch.__version__, "threads": a.threads, "best_epoch": best_epoch,
                      "test_loss": test_loss, "test_accuracy": test_acc,
                      "median_epoch_seconds": float(np.median(epoch_times)), "embed_10k_seconds": embed_seconds}), flush=True)


if __name__ == "__main__":
    main()
