#!/usr/bin/env python3
"""Regenerates the embedded Fashion-MNIST subset from the full dataset files.

The subset is what NativeGrad.Data.FashionMnist.Load falls back to when neither the full files nor
the network are available, so it has to be small (it is embedded in the assembly) yet class-balanced
so a model trained on it still learns visibly. It takes the first N images of each class, in the
original order, from the train and the test split, and writes them as gzipped IDX files with a fixed
gzip timestamp so that rerunning the script gives byte-identical files.

Usage: python3 make_subset.py [SOURCE_DIR] [--train-per-class 300] [--test-per-class 100]
SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist).
Pure standard library: no numpy needed.
"""
import argparse
import gzip
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NUM_CLASSES = 10


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def write_idx(path, dims, payload):
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw:
        # mtime=0 and no file name in the header: reproducible bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(header + payload)


def find(source, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(source, name)
        if os.path.exists(p):
            return p
    sys.exit(f"missing {stem}(.gz) in {source}")


def subset(source, split, per_class):
    img_dims, images = read_idx(find(source, f"{split}-images-idx3-ubyte"))
    lab_dims, labels = read_idx(find(source, f"{split}-labels-idx1-ubyte"))
    n, rows, cols = img_dims
    assert lab_dims[0] == n
    size = rows * cols
    taken = [0] * NUM_CLASSES
    chosen = []
    for i in range(n):
        c = labels[i]
        if taken[c] < per_class:
            taken[c] += 1
            chosen.append(i)
    if min(taken) < per_class:
        sys.exit(f"{split}: not enough images for {per_class} per class")
    out_images = b"".join(images[i * size:(i + 1) * size] for i in chosen)
    out_labels = bytes(labels[i] for i in chosen)
    write_idx(os.path.join(HERE, f"{split}-images-idx3-ubyte.gz"), (len(chosen), rows, cols), out_images)
    write_idx(os.path.join(HERE, f"{split}-labels-idx1-ubyte.gz"), (len(chosen),), out_labels)
    return len(chosen)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train-per-class", type=int, default=300)
    ap.add_argument("--test-per-class", type=int, default=100)
    a = ap.parse_args()
    n_train = subset(a.source, "train", a.train_per_class)
    n_test = subset(a.source, "t10k", a.test_per_class)
    total = sum(os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE) if f.endswith(".gz"))
    print(f"train {n_train} images, test {n_test} images, {total} bytes gzipped")


if __name__ == "__main__":
    main()
