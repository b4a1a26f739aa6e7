"""PyTorch yardstick for bench/train.ts and bench/gpu.ts: the Residual Attention Networks of
ml/model/variants.ts (the CIFAR layouts of spec sections 2 and 3.2-3.3, and the ImageNet Attention-56
of section 3.1), built from the spec alone, timed the same way (batch of fresh random images, SGD with
momentum, best of several steps), on the CPU or a CUDA GPU.

Prints one JSON object. PyTorch is a benchmark yardstick only, never a project dependency.

    python3 bench/torch_ran.py --variant lite-32 --batch 64 --threads 2 --channels-last
    python3 bench/torch_ran.py --variant attention56 --size 224 --batch 32 --device cuda
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Widths and mask depths per variant (ml/model/variants.ts): 3x3 stem of 16, 1 module per stage.
VARIANTS = {
    "lite-16": {"widths": [16, 32, 64], "depths": [3, 2, 1], "modules": 1},
    "lite-32": {"widths": [32, 64, 128], "depths": [3, 2, 1], "modules": 1},
    "attention56-cifar": {"widths": [64, 128, 256], "depths": [3, 2, 1], "modules": 1},
    "attention92-cifar": {"widths": [64, 128, 256], "depths": [3, 2, 1], "modules": 2},
    # ImageNet layout: 7x7/2 stem and max-pool, widths 256/512/1024, then three units at 2048.
    "attention56": {"widths": [256, 512, 1024], "depths": [3, 2, 1], "modules": 1, "imagenet": True},
}
EPS = 1e-5
MOMENTUM = 0.1  # PyTorch's convention for the ml/model setting "keep 0.9 of the old value"


def bn(c):
    return nn.BatchNorm2d(c, eps=EPS, momentum=MOMENTUM)


def same_max_pool(x):
    """3x3/2 max-pool with tfjs's 'same' padding, as the studio's mask branch pools: the odd padding
    pixel goes at the bottom/right (32 -> 16 pools windows starting at 0, 2, ...; 7 -> 4 pads one each side)."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        out = -(-size // 2)
        total = max((out - 1) * 2 + 3 - size, 0)
        pads += [total // 2, total - total // 2]
    return F.max_pool2d(F.pad(x, pads, value=float("-inf")), 3, 2)


class SameMaxPool(nn.Module):
    def forward(self, x):
        return same_max_pool(x)


class Unit(nn.Module):
    """Pre-activation bottleneck (spec 2.1): BN-ReLU shared by the residual branch and projection."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        b = cout // 4
        self.bn1, self.conv1 = bn(cin), nn.Conv2d(cin, b, 1, bias=False)
        self.bn2, self.conv2 = bn(b), nn.Conv2d(b, b, 3, stride, 1, bias=False)
        self.bn3, self.conv3 = bn(b), nn.Conv2d(b, cout, 1, bias=False)
        self.shortcut = None if cin == cout and stride == 1 else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        r = self.conv1(a)
        r = self.conv2(F.relu(self.bn2(r)))
        r = self.conv3(F.relu(self.bn3(r)))
        return r + (x if self.shortcut is None else self.shortcut(a))


class Attention(nn.Module):
    """Attention module with {p, t, r} = {1, 2, 1} and ARL fusion (spec 2.2-2.3)."""

    def __init__(self, c, depth):
        super().__init__()
        self.depth = depth
        self.pre, self.post = Unit(c, c), Unit(c, c)
        self.trunk = nn.Sequential(Unit(c, c), Unit(c, c))
        self.down = nn.ModuleList([Unit(c, c) for _ in range(depth)])
        self.skips = nn.ModuleList([Unit(c, c) for _ in range(max(depth - 1, 0))])
        self.bottom = Unit(c, c) if depth > 0 else nn.Sequential(Unit(c, c), Unit(c, c))
        self.up = nn.ModuleList([Unit(c, c) for _ in range(max(depth - 1, 0))])
        self.head = nn.Sequential(bn(c), nn.ReLU(), nn.Conv2d(c, c, 1, bias=False), bn(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 1, bias=False), nn.Sigmoid())

    def forward(self, x):
        x = self.pre(x)
        t = self.trunk(x)
        h, skips = x, []
        for level in range(self.depth):
            h = self.down[level](same_max_pool(h))
            if level < self.depth - 1:
                skips.append(self.skips[level](h))
        h = self.bottom(h)
        for level in reversed(range(self.depth - 1)):
            h = F.interpolate(h, size=skips[level].shape[-2:], mode="bilinear", align_corners=True) + skips[level]
            h = self.up[level](h)
        if self.depth > 0:
            h = F.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=True)
        m = self.head(h)
        return self.post(t + m * t)


class Network(nn.Module):
    def __init__(self, widths, depths, modules, classes=10, channels=3, imagenet=False):
        super().__init__()
        if imagenet:
            layers = [nn.Conv2d(channels, 64, 7, 2, 3, bias=False), bn(64), nn.ReLU(), SameMaxPool()]
            cin = 64
        else:
            layers = [nn.Conv2d(channels, 16, 3, 1, 1, bias=False), bn(16), nn.ReLU()]
            cin = 16
        for i, (w, d) in enumerate(zip(widths, depths)):
            layers.append(Unit(cin, w, 1 if i == 0 else 2))
            layers += [Attention(w, d) for _ in range(modules)]
            if not imagenet:
                layers.append(Unit(w, w))
            cin = w
        if imagenet:
            layers += [Unit(cin, 2048, 2), Unit(2048, 2048), Unit(2048, 2048)]
            cin = 2048
        layers += [bn(cin), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", default="lite-32", choices=sorted(VARIANTS))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU")
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = VARIANTS[args.variant]
    model = Network(spec["widths"], spec["depths"], spec["modules"], classes=args.classes, imagenet=spec.get("imagenet", False))
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=fmt)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    params = sum(p.numel() for p in model.parameters())

    def batch():
        x = torch.randn(args.batch, 3, args.size, args.size, device=device).to(memory_format=fmt)
        y = torch.randint(0, args.classes, (args.batch,), device=device)
        return x, y

    def train_step():
        x, y = batch()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    model.train()
    train_step()
    train = []
    for _ in range(args.steps):
        sync()
        start = time.perf_counter()
        train_step()
        sync()
        train.append(time.perf_counter() - start)

    model.eval()
    infer = []
    with torch.no_grad():
        model(batch()[0])
        for _ in range(args.steps):
            x, _ = batch()
            sync()
            start = time.perf_counter()
            model(x)
            sync()
            infer.append(time.perf_counter() - start)

    print(json.dumps({
        "engine": f"pytorch {torch.__version__}",
        "variant": args.variant,
        "layout": "channels-last" if args.channels_last else "NCHW",
        "threads": args.threads,
        "device": torch.cuda.get_device_name(device) if cuda else "cpu",
        "batch": args.batch,
        "params": params,
        "train_img_s": round(args.batch / min(train), 1),
        "train_img_s_median": round(args.batch / sorted(train)[len(train) // 2], 1),
        "infer_img_s": round(args.batch / min(infer), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
