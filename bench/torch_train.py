"""PyTorch twin of the studio's training recipe, for bench/parity.ts: trains the network of
bench/torch_ran.py on exactly the pixels the studio trained on (a file bench/parity.ts writes from the
studio's training cache) with the studio's recipe, and prints the held-out accuracy as JSON.

The recipe, as ml/train does it: per-channel mean/std of the training pixels (scaled to 0..1, std at
least 1/255); SGD with Nesterov momentum 0.9 and L2 weight decay on conv and dense weights only;
cosine learning rate per step after a linear warm-up over the first 10 % of steps; batches of 64 in a
fresh order each epoch, the last partial batch dropped; each image padded with zeros (black, before
normalisation), randomly cropped back and flipped left-right with probability 1/2; batch norm eps
1e-5, momentum 0.1. Weights start as the studio's `init` scheme would start them (ml/model/init.ts).

    python3 bench/torch_train.py --data DIR --variant lite-32 --epochs 15 --seed 1 --init msra
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_ran import VARIANTS, Network

TRUNCATED_NORMAL_VARIANCE = 0.7737413


def load(folder, split):
    meta = json.load(open(f"{folder}/{split}.json"))
    pixels = np.fromfile(f"{folder}/{split}.bin", dtype=np.uint8)
    images = pixels.reshape(meta["count"], meta["height"], meta["width"], meta["channels"])
    return images, np.array(meta["labels"], dtype=np.int64), meta


def initialise(model, scheme):
    """ml/model/init.ts: msra (truncated normal, variance 2/fan_in; Glorot-uniform classifier, zero bias),
    pytorch (the module defaults), zero-gamma (msra, and each residual branch's last BN scale at 0)."""
    if scheme == "pytorch":
        return
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            fan_in = module.weight[0].numel()
            std = math.sqrt(2 / (TRUNCATED_NORMAL_VARIANCE * fan_in))
            nn.init.trunc_normal_(module.weight, 0.0, std, -2 * std, 2 * std)
        elif isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
    if scheme == "zero-gamma":
        for module in model.modules():
            if hasattr(module, "bn3"):
                nn.init.zeros_(module.bn3.weight)


def learning_rate(step, total, base, warmup_fraction):
    warmup = round(warmup_fraction * total)
    if step < warmup:
        return base * (step + 1) / warmup
    decay = max(1, total - warmup - 1)
    progress = min(1.0, (step - warmup) / decay)
    return 0.5 * base * (1 + math.cos(math.pi * progress))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--variant", default="lite-32", choices=sorted(VARIANTS))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--padding", type=int, default=4)
    parser.add_argument("--no-flip", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", default="msra", choices=["msra", "pytorch", "zero-gamma"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train_x, train_y, meta = load(args.data, "train")
    test_x, test_y, _ = load(args.data, "test")
    classes = len(meta["classes"])
    channels = meta["channels"]

    pixels = train_x.reshape(-1, channels).astype(np.float64)
    mean = pixels.mean(0) / 255
    std = np.maximum(np.sqrt(np.maximum((pixels ** 2).mean(0) - (pixels.mean(0)) ** 2, 0)) / 255, 1 / 255)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, channels, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, channels, 1, 1)

    spec = VARIANTS[args.variant]
    model = Network(spec["widths"], spec["depths"], spec["modules"], classes=classes, channels=channels,
                    imagenet=spec.get("imagenet", False))
    initialise(model, args.init)
    model = model.to(memory_format=torch.channels_last)
    decayed = [p for p in model.parameters() if p.dim() >= 2]
    plain = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.SGD([{"params": decayed, "weight_decay": args.weight_decay}, {"params": plain, "weight_decay": 0.0}],
                                lr=args.lr, momentum=0.9, nesterov=True)

    def to_input(batch_uint8):
        x = torch.from_numpy(batch_uint8).permute(0, 3, 1, 2).float().div_(255)
        return ((x - mean_t) / std_t).contiguous(memory_format=torch.channels_last)

    def augment(batch):
        n, h, w, c = batch.shape
        pad = args.padding
        padded = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=np.uint8)
        padded[:, pad:pad + h, pad:pad + w] = batch
        out = np.empty_like(batch)
        for i in range(n):
            dy, dx = rng.integers(0, 2 * pad + 1, size=2)
            crop = padded[i, dy:dy + h, dx:dx + w]
            out[i] = crop[:, ::-1] if (not args.no_flip and rng.random() < 0.5) else crop
        return out

    per_epoch = len(train_x) // args.batch
    total = per_epoch * args.epochs
    step = 0
    started = time.perf_counter()
    model.train()
    for _ in range(args.epochs):
        order = rng.permutation(len(train_x))
        for b in range(per_epoch):
            index = order[b * args.batch:(b + 1) * args.batch]
            x = to_input(augment(train_x[index]))
            y = torch.from_numpy(train_y[index])
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, total, args.lr, args.warmup)
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            step += 1
    train_seconds = time.perf_counter() - started

    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(test_x), 256):
            logits = model(to_input(test_x[start:start + 256]))
            correct += int((logits.argmax(1).numpy() == test_y[start:start + 256]).sum())
    print(json.dumps({
        "engine": f"pytorch {torch.__version__}",
        "variant": args.variant,
        "init": args.init,
        "seed": args.seed,
        "train_images": len(train_x),
        "test_images": len(test_x),
        "test_accuracy": correct / len(test_x),
        "train_seconds": round(train_seconds, 1),
    }))



def torch_name_to_studio(model, depths):
    """The studio's layer name (ml/model) for each torch parameter and buffer of bench/torch_ran.py's
    Network: the two networks are the same graph, built in different orders."""
    names = {}
    body = list(model.body)
    unit_parts = {"bn1": "bn1", "conv1": "conv1", "bn2": "bn2", "conv2": "conv2", "bn3": "bn3", "conv3": "conv3", "shortcut": "shortcut"}

    def unit(prefix, module, studio):
        for part, sub in module.named_children():
            names[f"{prefix}.{part}"] = f"{studio}_{unit_parts[part]}"

    names["body.0"] = "stem_conv"
    names["body.1"] = "stem_bn"
    index = 3
    for stage, depth in enumerate(depths, start=1):
        unit(f"body.{index}", body[index], f"stage{stage}_unit1")
        attn = body[index + 1]
        a = f"body.{index + 1}"
        s = f"stage{stage}_attn1"
        unit(f"{a}.pre", attn.pre, f"{s}_pre1")
        unit(f"{a}.post", attn.post, f"{s}_post1")
        for i in range(len(attn.trunk)):
            unit(f"{a}.trunk.{i}", attn.trunk[i], f"{s}_trunk_unit{i + 1}")
        for level in range(len(attn.down)):
            unit(f"{a}.down.{level}", attn.down[level], f"{s}_mask_down{level + 1}_unit1")
        unit(f"{a}.bottom", attn.bottom, f"{s}_mask_down{depth}_unit2")
        for level in range(len(attn.skips)):
            unit(f"{a}.skips.{level}", attn.skips[level], f"{s}_mask_skip{level + 1}")
        for level in range(len(attn.up)):
            unit(f"{a}.up.{level}", attn.up[level], f"{s}_mask_up{level + 1}_unit1")
        names[f"{a}.head.0"] = f"{s}_mask_head_bn1"
        names[f"{a}.head.2"] = f"{s}_mask_head_conv1"
        names[f"{a}.head.3"] = f"{s}_mask_head_bn2"
        names[f"{a}.head.5"] = f"{s}_mask_head_conv2"
        unit(f"body.{index + 2}", body[index + 2], f"stage{stage}_unit2")
        index += 3
    names[f"body.{index}"] = "head_bn"
    names[f"body.{index + 4}"] = "classifier"
    return names


BATCH_NORM_WEIGHTS = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}


def load_studio_weights(model, folder, depths):
    """Copies the studio's weights (a manifest and raw float32 values) into the torch network."""
    manifest = json.load(open(f"{folder}/weights.json"))
    values = np.fromfile(f"{folder}/weights.bin", dtype=np.float32)
    studio = {w["name"]: values[w["offset"]:w["offset"] + int(np.prod(w["shape"]))].reshape(w["shape"]) for w in manifest}
    names = torch_name_to_studio(model, depths)
    loaded = 0
    for module_name, module in model.named_modules():
        if module_name not in names:
            continue
        layer = names[module_name]
        for key, tensor in list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False)):
            if key == "num_batches_tracked":
                continue
            if isinstance(module, nn.BatchNorm2d):
                value = studio[f"{layer}/{BATCH_NORM_WEIGHTS[key]}"]
            elif isinstance(module, nn.Conv2d):
                value = studio[f"{layer}/kernel"].transpose(3, 2, 0, 1)  # HWIO -> OIHW
            else:  # Linear
                value = studio[f"{layer}/kernel"].T if key == "weight" else studio[f"{layer}/bias"]
            with torch.no_grad():
                tensor.copy_(torch.from_numpy(np.ascontiguousarray(value)))
            loaded += 1
    return loaded, len(studio)


def check(args):
    """The same weights and input through both networks: their logits, in training and inference mode."""
    meta = json.load(open(f"{args.check}/input.json"))
    spec = VARIANTS[meta["variant"]]
    model = Network(spec["widths"], spec["depths"], spec["modules"], classes=meta["classes"], channels=meta["shape"][3])
    loaded, total = load_studio_weights(model, args.check, spec["depths"])
    x = torch.from_numpy(np.fromfile(f"{args.check}/input.bin", dtype=np.float32).reshape(meta["shape"])).permute(0, 3, 1, 2)
    result = {"tensors_loaded": loaded, "studio_tensors": total}
    # Inference first: a training-mode forward updates the running statistics.
    for mode in ("inference", "training"):
        model.train(mode == "training")
        with torch.no_grad():
            logits = model(x).numpy()
        expected = np.fromfile(f"{args.check}/logits_{mode}.bin", dtype=np.float32).reshape(logits.shape)
        result[f"{mode}_max_relative_difference"] = float(np.abs(logits - expected).max() / np.abs(expected).max())
    print(json.dumps(result))


if __name__ == "__main__":
    import sys
    if "--check" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--check", required=True)
        check(parser.parse_args())
    else:
        main()
