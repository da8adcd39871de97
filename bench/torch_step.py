"""One implementation of the benchmark's training step: PyTorch on the CPU,
single-threaded (torch.set_num_threads(1)), for comparison with the engine.

    python3 bench/torch_step.py --model lstm --hidden 128 [--steps 15] [--warmup 3] [--seed 1]

The model: nn.LSTM / nn.GRU / nn.RNN(nonlinearity="tanh") over time-major
input [steps, batch, input], nn.Linear readout at every step, CrossEntropyLoss
(mean softmax cross-entropy against integer targets), SGD. Inputs and targets
come from torch's seeded generator (same shapes and distributions as the Node
side, not the same numbers: the values do not change the time).

Prints one line `RESULT {json}` on stdout for bench/run.mjs. Peak memory is
the peak resident set of the TIMED steps: the kernel's high-water mark is
reset after the warm-up (writing 5 to /proc/self/clear_refs, Linux), and
resource.getrusage(RUSAGE_SELF).ru_maxrss is read afterwards (Linux derives
it from the same high-water mark). Without the reset it is the whole run's.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch

SHAPE = {"steps": 50, "batch": 32, "input": 64, "output": 64}
LEARNING_RATE = 0.01


def rss_mb():
    """Resident memory now, from /proc (None where there is no /proc)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def blas_in_use():
    """Which BLAS torch's matrix products run on, from the libraries mapped into
    this process (Linux). Debian's python3-torch calls whatever libblas.so.3
    the system provides: the slow reference BLAS (netlib, package libblas3)
    unless an optimized one (libopenblas0-pthread, libblis4...) is installed.
    Wheels from pip carry MKL inside torch itself."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if any(k in path.lower() for k in ("blas", "mkl", "blis")):
                    libs.add(path)
    except OSError:
        pass
    joined = " ".join(sorted(libs)).lower()
    if "openblas" in joined:
        kind = "OpenBLAS"
    elif "mkl" in joined:
        kind = "MKL"
    elif "blis" in joined:
        kind = "BLIS"
    elif "/blas/libblas" in joined:
        kind = "reference BLAS (netlib)"
    elif torch.backends.mkl.is_available():
        kind = "MKL (built into torch)"
    else:
        kind = "unknown"
    return {"kind": kind, "libraries": sorted(libs)}


def summarize(times):
    s = sorted(times)

    def q(p):
        x = p * (len(s) - 1)
        lo, hi = int(x), min(int(x) + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (x - lo)

    r = lambda v: round(v, 2)
    return {"median": r(statistics.median(s)), "q1": r(q(0.25)), "q3": r(q(0.75)),
            "min": r(s[0]), "max": r(s[-1]), "n": len(s)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="lstm", choices=["lstm", "gru", "rnn"])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(1)
    baseline = rss_mb()  # the runtime alone, before the model and the data
    torch.manual_seed(args.seed)
    T, B, I, O = SHAPE["steps"], SHAPE["batch"], SHAPE["input"], SHAPE["output"]
    H = args.hidden
    if args.model == "lstm":
        rnn = torch.nn.LSTM(I, H)
    elif args.model == "gru":
        rnn = torch.nn.GRU(I, H)
    else:
        rnn = torch.nn.RNN(I, H, nonlinearity="tanh")
    readout = torch.nn.Linear(H, O)
    params = list(rnn.parameters()) + list(readout.parameters())
    optimizer = torch.optim.SGD(params, lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randn(T, B, I)
    targets = torch.randint(0, O, (T * B,))

    def step():
        optimizer.zero_grad()
        h, _ = rnn(x)
        loss = loss_fn(readout(h).reshape(T * B, O), targets)
        loss.backward()
        optimizer.step()
        return loss.item()

    losses = [step() for _ in range(args.warmup)]
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        method = "ru_maxrss after a reset (/proc/self/clear_refs)"
    except OSError:
        method = "ru_maxrss of the whole run (clear_refs unavailable)"
    times, cpu_times = [], []
    for _ in range(args.steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        losses.append(step())
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print("RESULT " + json.dumps({
        "impl": "torch",
        "model": args.model,
        "hidden": H,
        "backend": f"torch {torch.__version__} cpu, {torch.get_num_threads()} thread",
        "blas": blas_in_use(),
        "parameters": sum(p.numel() for p in params),
        "warmup": args.warmup,
        "ms": summarize(times),
        "cpuMs": summarize(cpu_times),
        "times": [round(t, 2) for t in times],
        "memory": {"method": method, "peakRssMB": round(peak_kb / 1024, 1),
                   "baselineRssMB": baseline},
        "firstLoss": losses[0],
        "lastLoss": losses[-1],
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
