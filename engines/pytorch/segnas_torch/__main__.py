"""The PyTorch trainer process: reads protocol messages (docs/protocol.md) from stdin, trains or predicts
one job at a time, writes protocol messages to stdout. Everything else goes to stderr.

usage: python3 -m segnas_torch [--device auto|cuda|mps|cpu] [--precision auto|fp32|bf16|fp16] [--no-onnx]
       [--job-file F --events E --result R [--heartbeat S]]

With --job-file it runs in the protocol's file mode (main/compute/fileProtocol.ts): the one job in F,
`ready`/`epoch`/`heartbeat` lines appended to E, the final message written to R by atomic rename.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import queue
import signal
import sys
import threading
import time

# stdout carries protocol lines only: keep its file for us and point print() at stderr.
_protocol_out = sys.stdout
sys.stdout = sys.stderr
_write_lock = threading.Lock()

PROTOCOL_VERSION = 5  # main/compute/protocol.ts


def _finite(v):
    """NaN and infinities become null (JSON has neither); the caller then rejects the message by name."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_finite(x) for x in v]
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    return v


# File mode's paths ({"events", "result"}), or None in pipe mode.
_files = None


def send(msg: dict) -> None:
    line = json.dumps(_finite(msg), allow_nan=False)
    with _write_lock:
        if _files is None:
            _protocol_out.write(line + "\n")
            _protocol_out.flush()
        elif msg.get("type") in ("result", "failed"):
            tmp = f"{_files['result']}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(line + "\n")
            os.replace(tmp, _files["result"])
        else:
            with open(_files["events"], "a") as f:
                f.write(line + "\n")


def is_oom(e: BaseException) -> bool:
    import torch

    cls = getattr(torch.cuda, "OutOfMemoryError", None)
    if cls is not None and isinstance(e, cls):
        return True
    return "out of memory" in str(e).lower()


def main() -> None:
    ap = argparse.ArgumentParser(prog="python3 -m segnas_torch")
    ap.add_argument("--device", default=os.environ.get("SEGNAS_DEVICE", "auto"), choices=["auto", "cuda", "mps", "cpu"])
    ap.add_argument("--precision", default=os.environ.get("SEGNAS_PRECISION", "auto"), choices=["auto", "fp32", "bf16", "fp16"])
    ap.add_argument("--onnx", action=argparse.BooleanOptionalAction, default=True,
                    help="also write model.onnx into exported model folders when torch.onnx can (default on)")
    ap.add_argument("--memory-fraction", type=float, default=None,
                    help="CUDA: the share of the GPU's memory this trainer may allocate (set when trainers share a GPU)")
    ap.add_argument("--tf32", action=argparse.BooleanOptionalAction,
                    default=os.environ.get("SEGNAS_TF32", "1") != "0",
                    help="fp32 on CUDA: allow TF32 tensor cores for convolutions and matmuls (default on; "
                         "--no-tf32 or SEGNAS_TF32=0 for strict fp32)")
    ap.add_argument("--channels-last", action=argparse.BooleanOptionalAction,
                    default=os.environ.get("SEGNAS_CHANNELS_LAST", "0") == "1",
                    help="CUDA: keep activations in channels_last_3d memory format (default off; the GPU check measures both)")
    ap.add_argument("--job-file", help="file mode: the job (one train or predict message)")
    ap.add_argument("--events", help="file mode: events file the ready/epoch/heartbeat lines are appended to")
    ap.add_argument("--result", help="file mode: where the final message is written")
    ap.add_argument("--heartbeat", type=float, default=30.0, help="file mode: seconds between heartbeats")
    args = ap.parse_args()
    global _files
    if args.job_file is not None:
        if not args.events or not args.result:
            ap.error("file mode needs --job-file, --events and --result")
        _files = {"events": args.events, "result": args.result}
        # A result left by an earlier run of a requeued job is not this run's.
        try:
            os.remove(args.result)
        except FileNotFoundError:
            pass
    # Ctrl-C reaches the whole process group; the parent decides what it means and tells us over stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    import torch

    from . import ENGINE, ENGINE_VERSION
    from .devices import choose_device, choose_precision, configure_cuda, list_devices
    from .jobs import BadMessage, message_id, parse_line
    from .modelio import load_model, save_model
    from .sliding import sliding_window_predict
    from .checkpoint import remove_checkpoint
    from .trainer import train_candidate
    from .volumes import read_image, write_label

    threads = os.environ.get("SEGNAS_CPU_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    device = choose_device(args.device)
    precision = choose_precision(args.precision, device)
    configure_cuda(device, args.tf32, args.memory_fraction)
    devices = list_devices(device.type)
    name = devices[0]["name"] if devices else device.type
    send({
        "type": "ready",
        "protocol": PROTOCOL_VERSION,
        "pid": os.getpid(),
        "engine": ENGINE,
        "version": f"torch {torch.__version__}",
        "backend": f"pytorch-{device.type}",
        "device": f"{name} (PyTorch {torch.__version__}, {device.type}, {precision}"
                  f"{' with TF32' if precision == 'fp32' and args.tf32 and device.type == 'cuda' else ''})",
        "devices": devices,
        "precision": precision,
        "engineVersion": ENGINE_VERSION,
    })

    jobs: "queue.Queue" = queue.Queue()
    state = {"running": None, "leaving": False}
    cancel = threading.Event()
    pause = threading.Event()  # end the train job at the end of its epoch in progress

    def reader() -> None:
        for raw in sys.stdin:
            line = raw.strip()
            if not line:
                continue
            try:
                kind, payload = parse_line(line)
            except BadMessage as e:
                send({"type": "failed", "id": message_id(line), "status": "failed", "reason": f"bad message: {e}"})
                continue
            if kind == "shutdown":
                break
            if kind == "cancel":
                if state["running"] == payload:
                    cancel.set()
                continue
            if kind == "pause":
                if state["running"] == payload:
                    pause.set()
                continue
            if state["running"] is not None or not jobs.empty():
                send({"type": "failed", "id": payload["id"], "status": "failed",
                      "reason": f"trainer busy with job {state['running']}"})
                continue
            state["running"] = payload["id"]
            cancel.clear()
            pause.clear()
            jobs.put((kind, payload))
        # stdin closed or shutdown: cancel the job in progress (nobody will read its result) and leave.
        state["leaving"] = True
        cancel.set()
        jobs.put(None)

    def file_job() -> None:
        """File mode: the job file is the only message; SIGUSR1/SIGTERM (time limit, preemption,
        requeue) stop the job after the current batch with a `cancelled` result."""
        try:
            with open(args.job_file) as f:
                kind, payload = parse_line(f.read().strip())
        except (OSError, BadMessage) as e:
            send({"type": "failed", "id": "", "status": "failed", "reason": f"bad job file: {args.job_file}: {e}"})
            jobs.put(None)
            return
        if kind not in ("train", "predict"):
            send({"type": "failed", "id": "", "status": "failed",
                  "reason": f"bad job file: {args.job_file}: a job file holds a train or predict message, not '{kind}'"})
            jobs.put(None)
            return
        signal.signal(signal.SIGUSR1, lambda *_: cancel.set())
        signal.signal(signal.SIGTERM, lambda *_: cancel.set())
        # Test hook (docs/protocol.md): the first attempt of this job hangs without a heartbeat.
        if os.environ.get("SEGNAS_FAULT_STALL") == payload["id"] and os.environ.get("SEGNAS_ATTEMPT", "1") == "1":
            while True:
                time.sleep(3600)
        state["running"] = payload["id"]

        def beat() -> None:
            while state["running"] == payload["id"] and not cancel.wait(args.heartbeat):
                send({"type": "heartbeat", "id": payload["id"]})

        threading.Thread(target=beat, daemon=True).start()
        jobs.put((kind, payload))
        jobs.put(None)

    if _files is None:
        threading.Thread(target=reader, daemon=True).start()
    else:
        file_job()

    # Each job function returns its final message; the loop marks the trainer idle *before* sending it,
    # so that a caller answering at once with the next job never finds the trainer still busy.
    def run_train(job: dict):
        nan = os.environ.get("SEGNAS_FAULT_NAN") == job["id"]  # test hook: a diverged network's Dice

        def on_epoch(progress: dict) -> None:
            if not state["leaving"]:
                send({"type": "epoch", "id": job["id"], "progress": {**progress, "valDice": float("nan")} if nan else progress})

        def on_step(progress: dict) -> None:
            if not state["leaving"]:
                send({"type": "step", "id": job["id"], "progress": progress})

        result = train_candidate(job, device, precision, cancel, on_epoch, channels_last=args.channels_last,
                                 pause=pause, on_step=on_step)
        if result.net is not None and job.get("exportDir") and result.status == "done":
            meta = job.get("exportMeta") or {}
            k = job["network"]["classes"]
            save_model(job["exportDir"], result.net, {
                "preprocessing": meta.get("preprocessing") or {"size": job["network"]["size"]},
                "labels": meta.get("labels") or {"values": list(range(k)),
                                                 "names": ["background" if i == 0 else f"label {i}" for i in range(k)]},
                "extra": {"bestDice": result.best_dice, "bestEpoch": result.best_epoch, "training": job["training"],
                          **({"native": job["native"]} if job.get("native") else {})},
            }, onnx=args.onnx and meta.get("onnx", True) is not False)
        if job.get("checkpointDir") and result.status == "done":
            # The model, not the checkpoint, is what a finished training leaves.
            remove_checkpoint(job["checkpointDir"])
        return {"type": "result", "id": job["id"], "status": result.status, "bestDice": result.best_dice,
                "bestEpoch": result.best_epoch, "bestPerLabel": result.best_per_label, "epochs": result.epochs,
                "seconds": result.seconds, "paramCount": result.param_count, "peakBytes": result.peak_bytes,
                "firstStepSeconds": result.first_step_seconds,
                **({"resumedFrom": result.resumed_from} if result.resumed_from is not None else {})}

    def run_predict(job: dict):
        start = time.perf_counter()
        native = job.get("native")
        net = load_model(job["model"], device, tuple(native["patchSize"]) if native else None)
        size = net.options["size"]
        if net.options["classes"] > 256:
            raise ValueError(f"{job['model']}: {net.options['classes']} classes do not fit a uint8 class map")
        done: list = []
        with torch.no_grad():
            for image_path, out_path in zip(job["images"], job["outputs"]):
                if cancel.is_set():
                    return {"type": "failed", "id": job["id"], "status": "failed", "reason": "cancelled"}
                if native:
                    # Native protocol: the image's own shape, segmented by sliding window.
                    shape = tuple(job["shapes"][len(done)])
                    image = read_image(image_path, size, net.options["inChannels"], shape).to(device)
                    write_label(out_path, sliding_window_predict(net, image, shape, tuple(native["patchSize"]),
                                                                 native["overlap"], native["mirror"]))
                else:
                    image = read_image(image_path, size, net.options["inChannels"]).unsqueeze(0).to(device)
                    probs, _ = net(image)
                    write_label(out_path, probs.argmax(1)[0])
                done.append(out_path)
        return {"type": "predicted", "id": job["id"], "outputs": job["outputs"], "seconds": time.perf_counter() - start}

    while True:
        item = jobs.get()
        if item is None:
            break
        kind, job = item
        if state["leaving"]:
            break
        try:
            final = (run_train if kind == "train" else run_predict)(job)
        except Exception as e:  # one job's failure never ends the trainer
            oom = is_oom(e)
            if oom and device.type == "cuda":
                torch.cuda.empty_cache()
            final = {"type": "failed", "id": job["id"], "status": "oom" if oom else "failed",
                     "reason": f"{type(e).__name__}: {e}"[:2000]}
        if device.type == "cuda":
            # Return the job's cached blocks: other trainers on this GPU are admitted against its free memory.
            torch.cuda.empty_cache()
        state["running"] = None
        if not state["leaving"]:
            send(final)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
