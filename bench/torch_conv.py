"""PyTorch yardstick for bench/conv.ts: one convolution's forward, input gradient and filter gradient,
timed alone (best of several runs) for each shape given, in NCHW and channels-last.

Prints one JSON object. PyTorch is a benchmark yardstick only, never a project dependency.

    python3 bench/torch_conv.py --threads 2 --runs 8 --shapes '[[64,32,32,64,64,3,1]]'
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def best_ms(fn, runs):
    fn()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--shapes", required=True, help="JSON list of [batch, height, width, in, out, kernel, stride]")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = []
    for batch, height, width, cin, cout, kernel, stride in json.loads(args.shapes):
        pad = kernel // 2
        row = {}
        for layout, memory_format in (("NCHW", torch.contiguous_format), ("channels-last", torch.channels_last)):
            x = torch.randn(batch, cin, height, width).to(memory_format=memory_format)
            w = torch.randn(cout, cin, kernel, kernel).to(memory_format=memory_format)
            with torch.no_grad():
                y = F.conv2d(x, w, stride=stride, padding=pad)
            dy = torch.randn_like(y).to(memory_format=memory_format)

            def backward(mask):
                return torch.ops.aten.convolution_backward(
                    dy, x, w, None, [stride, stride], [pad, pad], [1, 1], False, [0, 0], 1, mask)

            with torch.no_grad():
                row[layout] = {
                    "forward_ms": best_ms(lambda: F.conv2d(x, w, stride=stride, padding=pad), args.runs),
                    "input_grad_ms": best_ms(lambda: backward([True, False, False]), args.runs),
                    "filter_grad_ms": best_ms(lambda: backward([False, True, False]), args.runs),
                }
        results.append(row)
    print(json.dumps({"engine": f"PyTorch {torch.__version__}", "threads": args.threads, "shapes": results}))


if __name__ == "__main__":
    main()
