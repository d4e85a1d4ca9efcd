"""Validation of the caller's messages, field by field as main/compute/protocol.ts' zod schemas, so that a
bad job is answered with `failed` naming the field (e.g. "train job: field 'job.training.epochs' ...")."""
from __future__ import annotations

import json
from typing import Any, Tuple


class BadMessage(ValueError):
    pass


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def _int(v: Any) -> bool:
    return _num(v) and float(v).is_integer()


def _check(cond: bool, what: str, path: str, message: str) -> None:
    if not cond:
        raise BadMessage(f"{what}: field '{path}' {message}")


def _obj(v: Any, what: str, path: str) -> dict:
    _check(isinstance(v, dict), what, path, "must be an object")
    return v


def _side3(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 3 and all(_int(n) and n >= 1 for n in v)


def _sliding(native: Any, w: str) -> dict:
    native = _obj(native, w, "job.native")
    _check(_side3(native.get("patchSize")), w, "job.native.patchSize", "must be three integers >= 1 (x, y, z)")
    _check(_num(native.get("overlap")) and 0 <= native["overlap"] < 1, w, "job.native.overlap", "must be a number in [0, 1)")
    _check(isinstance(native.get("mirror"), bool), w, "job.native.mirror", "must be a boolean")
    return native


def validate_train_job(job: Any) -> dict:
    w = "train job"
    job = _obj(job, w, "job")
    _check(isinstance(job.get("id"), str) and job["id"] != "", w, "job.id", "must be a non-empty string")
    spec = _obj(job.get("spec"), w, "job.spec")
    _check(_int(spec.get("n")) and spec["n"] > 0, w, "job.spec.n", "must be a positive integer")
    _check(_int(spec.get("p")) and spec["p"] >= 0, w, "job.spec.p", "must be a non-negative integer")
    for k in ("sup", "res"):
        _check(isinstance(spec.get(k), bool), w, f"job.spec.{k}", "must be a boolean")
    block = _obj(spec.get("block"), w, "job.spec.block")
    _check(block.get("nodes") in (2, 3, 4) and not isinstance(block.get("nodes"), bool), w, "job.spec.block.nodes", "must be 2, 3 or 4")
    _check(isinstance(block.get("ops"), list) and all(_int(o) for o in block["ops"]), w, "job.spec.block.ops", "must be a list of integers")
    net = _obj(job.get("network"), w, "job.network")
    for k, lo in (("classes", 2), ("size", 2), ("inChannels", 1)):
        _check(_int(net.get(k)) and net[k] >= lo, w, f"job.network.{k}", f"must be an integer >= {lo}")
    _check(_num(net.get("dropout")) and 0 <= net["dropout"] <= 1, w, "job.network.dropout", "must be a number in [0, 1]")
    _check(_int(net.get("seed")), w, "job.network.seed", "must be an integer")
    tr = _obj(job.get("training"), w, "job.training")
    for k in ("epochs", "batchSize"):
        _check(_int(tr.get(k)) and tr[k] >= 1, w, f"job.training.{k}", "must be an integer >= 1")
    _check(_num(tr.get("learningRate")) and tr["learningRate"] > 0, w, "job.training.learningRate", "must be a positive number")
    _check(_int(tr.get("seed")), w, "job.training.seed", "must be an integer")
    if "schedule" in tr:
        _check(tr["schedule"] in ("constant", "poly"), w, "job.training.schedule", "must be 'constant' or 'poly'")
    aug = _obj(tr.get("augment"), w, "job.training.augment")
    _check(_num(aug.get("probability")) and 0 <= aug["probability"] <= 1, w, "job.training.augment.probability", "must be in [0, 1]")
    for k in ("rotationDeg", "shiftFraction"):
        _check(_num(aug.get(k)) and aug[k] >= 0, w, f"job.training.augment.{k}", "must be a number >= 0")
    sr = aug.get("scaleRange")
    _check(isinstance(sr, list) and len(sr) == 2 and all(_num(s) and s > 0 for s in sr), w, "job.training.augment.scaleRange", "must be two positive numbers")
    data = _obj(job.get("data"), w, "job.data")
    for k, least in (("train", 1), ("val", 0)):  # no validation cases: the last epoch is kept
        refs = data.get(k)
        _check(isinstance(refs, list) and len(refs) >= least, w, f"job.data.{k}",
               "must be a non-empty list" if least else "must be a list")
        for i, r in enumerate(refs):
            _check(isinstance(r, dict) and isinstance(r.get("image"), str) and isinstance(r.get("label"), str)
                   and r["image"] != "" and r["label"] != "", w, f"job.data.{k}.{i}", "must be {image, label} paths")
            if "shape" in r:
                _check(_side3(r["shape"]), w, f"job.data.{k}.{i}.shape", "must be three integers >= 1 (x, y, z)")
            elif "native" in job:
                _check(False, w, f"job.data.{k}.{i}.shape", "is required when job.native is set (each case keeps its own shape)")
    if "native" in job:
        native = _sliding(job["native"], w)
        f = native.get("foregroundFraction")
        _check(_num(f) and 0 <= f <= 1, w, "job.native.foregroundFraction", "must be a number in [0, 1]")
    if "exportDir" in job:
        _check(isinstance(job["exportDir"], str), w, "job.exportDir", "must be a string")
    if "exportMeta" in job:
        _obj(job["exportMeta"], w, "job.exportMeta")
    if "checkpointDir" in job:
        _check(isinstance(job["checkpointDir"], str) and job["checkpointDir"] != "", w, "job.checkpointDir",
               "must be a non-empty string")
    return job


def validate_predict_job(job: Any) -> dict:
    w = "predict job"
    job = _obj(job, w, "job")
    _check(isinstance(job.get("id"), str) and job["id"] != "", w, "job.id", "must be a non-empty string")
    _check(isinstance(job.get("model"), str) and job["model"] != "", w, "job.model", "must be a model folder path")
    for k in ("images", "outputs"):
        _check(isinstance(job.get(k), list) and all(isinstance(p, str) and p for p in job[k]), w, f"job.{k}", "must be a list of paths")
    _check(len(job["images"]) == len(job["outputs"]), w, "job.outputs", "must have one path per image")
    if "shapes" in job:
        _check(isinstance(job["shapes"], list) and all(_side3(s) for s in job["shapes"]), w, "job.shapes",
               "must be a list of three integers >= 1 (x, y, z) per image")
    if "native" in job:
        _sliding(job["native"], w)
        _check(len(job.get("shapes") or []) == len(job["images"]), w, "job.shapes",
               "must give one x, y, z shape per image when native is set")
    return job


def parse_line(line: str) -> Tuple[str, Any]:
    """-> (type, payload) for train / predict / cancel / pause / shutdown; raises BadMessage otherwise."""
    try:
        msg = json.loads(line)
    except ValueError as e:
        raise BadMessage(f"not JSON ({e})")
    if not isinstance(msg, dict):
        raise BadMessage(f"expected a JSON object, got {type(msg).__name__}")
    t = msg.get("type")
    if t == "train":
        return t, validate_train_job(msg.get("job"))
    if t == "predict":
        return t, validate_predict_job(msg.get("job"))
    if t in ("cancel", "pause"):
        return t, str(msg.get("id"))
    if t == "shutdown":
        return t, None
    raise BadMessage(f"unknown message type '{t}' (expected train, predict, cancel, pause or shutdown)")


def message_id(line: str) -> str:
    try:
        msg = json.loads(line)
        job = msg.get("job") if isinstance(msg, dict) else None
        return str((job or {}).get("id") or msg.get("id") or "") if isinstance(msg, dict) else ""
    except (ValueError, AttributeError):
        return ""
