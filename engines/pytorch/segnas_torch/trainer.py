"""One candidate's training (paper section 2.4), as main/train/trainer.ts: Nadam, exponential logarithmic
loss (final + deep-supervision heads), augmentation, validation after every epoch in inference mode, the
best epoch (highest validation Dice, first on ties) kept with a host copy of its weights. A job without
validation cases (the final training of a winner) keeps its last epoch; `training.schedule` "poly" decays
the learning rate as main/train/schedule.ts does.

Under the native protocol (`job.native`) each case keeps its own shape: a batch is patches cut by patches.py
(the same draws as the TensorFlow.js engine, from the PRNG both share), augmented, and validation segments each
whole case by sliding window (sliding.py).

Speed: the volumes are moved to the device once; augmentation runs batched on the device; the epoch's
loss is summed on the device and read once per epoch; validation reads one Dice vector per case."""
from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import torch

from .augment import augment_batch, draw_transform
from .checkpoint import read_checkpoint, restore_checkpoint, training_fingerprint, write_checkpoint
from .loss import label_weights_from_counts, supervised_loss
from .memory import CudaPeak, tensors_bytes, traced_peak
from .metrics import mean_foreground_dice, per_label_dice
from .nadam import Nadam
from .network import SegNet
from .patches import CaseForeground, crop_patch, forced_foreground, patch_origin
from .prng import Prng
from .sliding import sliding_window_predict
from .volumes import read_image, read_label


# The patch sampler's PRNG is seeded with the training seed plus this (main/train/trainer.ts).
PATCH_SEED_OFFSET = 7919


POLY_EXPONENT = 0.9
# Least seconds between two step reports (main/train/trainer.ts STEP_INTERVAL_S): the first step at once.
STEP_INTERVAL_S = 2.0


def learning_rate_at(schedule: str, lr0: float, epoch: int, epochs: int) -> float:
    """The rate of 1-based `epoch` of `epochs`: constant, or nnU-Net's lr0 * (1 - e/E)^0.9 (e 0-based)."""
    if schedule == "poly":
        return lr0 * (1 - (epoch - 1) / epochs) ** POLY_EXPONENT
    return lr0


class SimulatedOutOfMemory(RuntimeError):
    """Raised for the job named by $SEGNAS_FAULT_OOM, so the OOM path can be tested on any machine."""


def fault_oom_step(job_id: str) -> Optional[int]:
    """Test hook (docs/protocol.md): $SEGNAS_FAULT_OOM_STEP="<job id>:<step>" raises torch's own
    out-of-memory error type at that training step (1-based) of that job, as a real CUDA OOM would; with
    $SEGNAS_FAULT_OOM_ONCE=<file> only while that file does not exist (it is created), so a retry succeeds."""
    raw = os.environ.get("SEGNAS_FAULT_OOM_STEP", "")
    target, _, step = raw.rpartition(":")
    if target != job_id or not step.isdigit():
        return None
    once = os.environ.get("SEGNAS_FAULT_OOM_ONCE")
    if once:
        if os.path.exists(once):
            return None
        open(once, "w").close()
    return int(step)


def out_of_memory_error(message: str) -> BaseException:
    cls = getattr(torch.cuda, "OutOfMemoryError", None) or RuntimeError
    return cls(f"CUDA out of memory. {message}")


def grad_scaler(device: torch.device, precision: str):
    """fp16 on CUDA scales the loss; torch.amp.GradScaler("cuda") where torch has it (≥ 2.3), the older
    torch.cuda.amp one before."""
    if precision != "fp16" or device.type != "cuda":
        return None
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        return amp.GradScaler("cuda")
    return torch.cuda.amp.GradScaler()


@dataclass
class TrainResult:
    status: str
    best_dice: float
    best_epoch: int
    best_per_label: List[float]
    epochs: int
    seconds: float
    param_count: int
    # Peak tensor bytes of the job on its device (memory.py); None where it cannot be measured.
    peak_bytes: Optional[int] = None
    # Seconds from the job's start to the end of its first training step (the per-candidate fixed cost).
    first_step_seconds: Optional[float] = None
    # The checkpoint epoch the job went on from; None: it started at epoch 1.
    resumed_from: Optional[int] = None
    net: Optional[SegNet] = None
    history: list = field(default_factory=list)


def autocast_context(device: torch.device, precision: str):
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


# Volumes on the device, kept across the candidates this trainer process trains: every candidate of a
# search reads the same preprocessed cases, so reading and uploading them again per candidate is a fixed
# cost paid 300 times. Keyed by path, size and the file's size and mtime (the preprocessing manifest's
# files; a rewritten file is read again); only the cases of the latest job are kept.
_volumes: dict = {}


def _volume_key(ref: dict, size: int) -> tuple:
    key = [size, tuple(ref.get("shape") or ())]
    for path in (ref["image"], ref["label"]):
        st = os.stat(path)
        key += [path, st.st_size, st.st_mtime_ns]
    return tuple(key)


def load_cases(refs: list, size: int, device: torch.device, keep: Optional[set] = None, channels: int = 1,
               native: bool = False):
    """images [N, C, S, S, S] float32 and labels [N, S, S, S] uint8 on `device` (labels widen per batch); under the
    native protocol lists of [C, Z, Y, X] and [Z, Y, X], each case of its own `shape`."""
    images, labels = [], []
    for r in refs:
        ref = r if native else {k: v for k, v in r.items() if k != "shape"}
        key = _volume_key(ref, size) + (str(device), channels)
        if keep is not None:
            keep.add(key)
        if key not in _volumes:
            shape = ref.get("shape")
            _volumes[key] = (read_image(r["image"], size, channels, shape).to(device),
                             read_label(r["label"], size, shape).to(device))
        image, label = _volumes[key]
        images.append(image)
        labels.append(label)
    if native:
        return images, labels  # each case its own shape, no common stack
    return torch.stack(images), torch.stack(labels)


def load_job_cases(data: dict, size: int, device: torch.device, channels: int = 1, native: bool = False):
    keep: set = set()
    train = load_cases(data["train"], size, device, keep, channels, native)
    # The final training of a search's winners trains without a validation split.
    val = load_cases(data["val"], size, device, keep, channels, native) if data["val"] else (None, None)
    for key in [k for k in _volumes if k not in keep]:
        del _volumes[key]
    return train, val


def evaluate(net: SegNet, images, labels, precision: str, native: Optional[dict] = None) -> List[float]:
    """Mean per-label Dice; under `native` images/labels are lists of whole cases, segmented by sliding window."""
    classes = net.options["classes"]
    net.eval()
    count = len(images)
    total = torch.zeros(classes, dtype=torch.float64, device=images[0].device)
    with torch.no_grad(), autocast_context(images[0].device, precision):
        for i in range(count):
            if native:
                z, y, x = labels[i].shape
                pred = sliding_window_predict(net, images[i], (x, y, z), tuple(native["patchSize"]),
                                              native["overlap"], native["mirror"])
                total += per_label_dice(pred[None], labels[i][None].long(), classes)
            else:
                probs, _ = net(images[i:i + 1])
                total += per_label_dice(probs.argmax(1), labels[i:i + 1].long(), classes)
    net.train()
    return (total / count).tolist()


def train_candidate(job: dict, device: torch.device, precision: str, cancel: threading.Event,
                    on_epoch: Callable[[dict], None], channels_last: bool = False,
                    pause: Optional[threading.Event] = None,
                    on_step: Optional[Callable[[dict], None]] = None) -> TrainResult:
    """`cancel` stops after the current batch; `pause` at the end of the epoch in progress, after its
    checkpoint (job `checkpointDir`, checkpoint.py), from which a later job of the same training goes on."""
    start = time.perf_counter()
    size, classes = job["network"]["size"], job["network"]["classes"]
    settings = job["training"]
    if os.environ.get("SEGNAS_FAULT_OOM") == job["id"]:
        raise SimulatedOutOfMemory("CUDA out of memory (simulated by SEGNAS_FAULT_OOM for this job)")
    cuda_peak = CudaPeak(device) if device.type == "cuda" else None
    cpu_peak: Optional[int] = None
    torch.manual_seed(settings["seed"])
    native = job.get("native")
    network = {**job["network"], "patch": list(native["patchSize"])} if native else job["network"]
    net = SegNet(job["spec"], network).to(device)
    memory_format = torch.channels_last_3d if channels_last and device.type == "cuda" else torch.contiguous_format
    if channels_last:
        net = net.to(memory_format=memory_format)
    net.train()
    optimizer = Nadam(net.parameters(), lr=settings["learningRate"])
    scaler = grad_scaler(device, precision)
    oom_at = fault_oom_step(job["id"])
    steps = 0
    validated = len(job["data"]["val"]) > 0
    (train_img, train_lab), (val_img, val_lab) = load_job_cases(job["data"], size, device, job["network"]["inChannels"],
                                                                  bool(native))
    all_labels = torch.cat([t.reshape(-1) for t in train_lab]) if native else train_lab.reshape(-1)
    counts = torch.bincount(all_labels.long(), minlength=classes)
    if counts.numel() > classes:
        raise ValueError(f"training labels hold class {counts.numel() - 1}, outside 0..{classes - 1}.")
    weights = torch.tensor(label_weights_from_counts(counts.tolist()), dtype=torch.float32, device=device)
    rng = random.Random(settings["seed"])
    patch_rng = Prng(settings["seed"] + PATCH_SEED_OFFSET)
    patch = tuple(native["patchSize"]) if native else None
    foreground = [CaseForeground(lab) for lab in train_lab] if native else []
    shapes = [tuple(r["shape"]) for r in job["data"]["train"]] if native else []

    def native_batch(idx: List[int]):
        """The batch's patches, [B, C, pz, py, px] and [B, pz, py, px], drawn as main/train/trainer.ts does."""
        xs, ys = [], []
        for slot, i in enumerate(idx):
            forced = forced_foreground(slot, len(idx), native["foregroundFraction"])
            origin = patch_origin(shapes[i], patch, foreground[i] if forced else None, patch_rng)
            xs.append(crop_patch(train_img[i], origin, patch))
            ys.append(crop_patch(train_lab[i], origin, patch))
        return torch.stack(xs), torch.stack(ys)

    history = []
    first_step: Optional[float] = None
    best = None
    status = "done"
    n = len(train_img)
    checkpoint_dir = job.get("checkpointDir")
    fingerprint = training_fingerprint(job) if checkpoint_dir else ""
    saved = read_checkpoint(checkpoint_dir, fingerprint) if checkpoint_dir else None
    if saved is not None and saved["epoch"] > settings["epochs"]:
        saved = None
    if saved is not None:
        restore_checkpoint(saved, net=net, optimizer=optimizer, rng=rng, device=device, scaler=scaler,
                           patch_rng=patch_rng)
        history = list(saved["history"])
        best = saved["best"]
        for progress in history:
            on_epoch(progress)
    start_epoch = saved["epoch"] + 1 if saved is not None else 1
    steps_per_epoch = -(-n // settings["batchSize"])
    last_step_report = float("-inf")
    for epoch in range(start_epoch, settings["epochs"] + 1):
        epoch_start = time.perf_counter()
        lr = learning_rate_at(settings.get("schedule", "constant"), settings["learningRate"], epoch,
                              settings["epochs"])
        optimizer.lr = lr
        order = list(range(n))
        rng.shuffle(order)
        # One host→device copy of the epoch's order; each batch slices it on the device.
        order_t = torch.tensor(order, device=device)
        loss_sum = torch.zeros((), device=device)
        batches = 0
        for b in range(0, n, settings["batchSize"]):
            if cancel.is_set():
                status = "cancelled"
                break
            idx = order[b:b + settings["batchSize"]]

            steps += 1
            if oom_at is not None and steps == oom_at:
                raise out_of_memory_error(f"Simulated by SEGNAS_FAULT_OOM_STEP at step {steps}.")

            def step() -> torch.Tensor:
                if native:
                    x, y = native_batch(idx)
                else:
                    index = order_t[b:b + settings["batchSize"]]
                    x, y = train_img.index_select(0, index), train_lab.index_select(0, index)
                x, y = augment_batch(x, y, [draw_transform(settings["augment"], patch or size, rng) for _ in idx])
                x, y = x.contiguous(memory_format=memory_format), y.long()
                optimizer.zero_grad()
                with autocast_context(device, precision):
                    probs, aux = net(x)
                loss = supervised_loss(probs, aux, y, weights)
                if scaler is not None:
                    # fp16: scale the loss, unscale the gradients before our optimizer, skip steps with inf/nan.
                    scaler.scale(loss).backward()
                    inv = 1.0 / scaler.get_scale()
                    grads = [p.grad for p in optimizer.params if p.grad is not None]
                    finite = bool(torch.stack([torch.isfinite(g).all() for g in grads]).all())  # one sync
                    if finite:
                        for g in grads:
                            g.mul_(inv)
                        optimizer.step()
                    scaler.update(scaler.get_scale() * (1.0 if finite else 0.5))
                else:
                    loss.backward()
                    optimizer.step()
                return loss.detach().float()

            if device.type == "cpu" and epoch == 1 and b == 0:
                volumes = [t for t in (train_img, train_lab, val_img, val_lab) if t is not None]
                if native:
                    volumes = [v for group in volumes for v in group]
                alive = tensors_bytes(volumes + [weights, *optimizer.m, *optimizer.v,
                                       *net.parameters(), *net.buffers()])
                loss, step_peak = traced_peak(step)
                if step_peak is not None:
                    # + the best epoch's host copy of the weights, alive from the second epoch on
                    cpu_peak = alive + step_peak + tensors_bytes(net.state_dict().values())
            else:
                loss = step()
            loss_sum += loss
            batches += 1
            now = time.perf_counter()
            if on_step is not None and now - last_step_report >= STEP_INTERVAL_S:
                last_step_report = now
                on_step({"epoch": epoch, "epochs": settings["epochs"], "step": batches,
                         "steps": steps_per_epoch, "seconds": now - epoch_start})
            if first_step is None:
                if device.type == "cuda":
                    torch.cuda.synchronize(device)  # once per job: the step's time, not its launch
                first_step = time.perf_counter() - start
        if status == "cancelled":
            break
        validation = {}
        if validated:
            per_label = evaluate(net, val_img, val_lab, precision, native)
            dice = mean_foreground_dice(per_label)
            validation = {"valDice": dice, "valPerLabel": per_label}
            if best is None or dice > best["dice"]:
                best = {"dice": dice, "epoch": epoch, "per_label": per_label,
                        "state": {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}}
        else:
            # Nothing to choose by: the last epoch is the model (the network as it is now).
            best = {"dice": 0.0, "epoch": epoch, "per_label": [], "state": None}
        progress = {
            "epoch": epoch,
            "epochs": settings["epochs"],
            "loss": float(loss_sum.item()) / max(batches, 1),
            **validation,
            "learningRate": lr,
            "bestDice": best["dice"],
            "bestEpoch": best["epoch"],
            "seconds": time.perf_counter() - epoch_start,
        }
        history.append(progress)
        # Checkpoint first: every epoch the caller has heard of is in the checkpoint.
        if checkpoint_dir:
            write_checkpoint(checkpoint_dir, fingerprint, epoch=epoch, history=history, best=best, net=net,
                             optimizer=optimizer, rng=rng, device=device, scaler=scaler, patch_rng=patch_rng)
        on_epoch(progress)
        if pause is not None and pause.is_set() and epoch < settings["epochs"]:
            status = "cancelled"
            break
    result = TrainResult(
        status=status,
        best_dice=best["dice"] if best else 0.0,
        best_epoch=best["epoch"] if best else 0,
        best_per_label=best["per_label"] if best else [],
        epochs=len(history),
        seconds=time.perf_counter() - start,
        param_count=net.param_count(),
        peak_bytes=cuda_peak.peak_bytes() if cuda_peak is not None else cpu_peak,
        first_step_seconds=first_step,
        resumed_from=saved["epoch"] if saved is not None else None,
        history=history,
    )
    if best is not None:
        if best["state"] is not None:
            net.load_state_dict(best["state"])
        result.net = net
    return result
