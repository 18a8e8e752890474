"""Several trials per GPU: which GPUs, how many workers on each, and what each worker's environment is."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from lrsweep.sweep.workers._devices import (
    MAX_TRIALS_PER_DEVICE,
    Accelerator,
    apply_environment,
    parse_nvidia_smi,
    trials_per_device,
    visible_accelerators,
    worker_environments,
)
from lrsweep.sweep.workers._executors import worker_pool
from lrsweep.training._footprint import CONTEXT_MIB, footprint_mib

# `nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.free --format=csv,noheader,nounits` on a 3-GPU host
# whose third GPU is in MIG mode (no memory figures there).
SMI = """\
0, GPU-4f5e0a1c-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559, 81003
1, GPU-9a8b7c6d-aaaa-bbbb-cccc-ddddeeeeffff, NVIDIA H100 80GB HBM3, 81559, 40000
2, GPU-00000000-0000-0000-0000-000000000000, NVIDIA A100-SXM4-40GB, [N/A], [N/A]
"""
H100 = Accelerator("0", "NVIDIA H100 80GB HBM3", 81559, 81003)


def test_nvidia_smi_output_gives_the_gpus_cuda_would_show():
    gpus = parse_nvidia_smi(SMI)
    assert [(g.id, g.name, g.memory_mib, g.free_mib) for g in gpus] == [
        ("0", "NVIDIA H100 80GB HBM3", 81559, 81003),
        ("1", "NVIDIA H100 80GB HBM3", 81559, 40000),
    ]
    assert [g.id for g in parse_nvidia_smi(SMI, "1")] == ["1"]
    assert [g.free_mib for g in parse_nvidia_smi(SMI, "1,0")] == [40000, 81003]
    # UUID prefixes are kept as given (the worker's CUDA_VISIBLE_DEVICES), matched to their GPU.
    assert [(g.id, g.free_mib) for g in parse_nvidia_smi(SMI, "GPU-9a8b7c6d")] == [("GPU-9a8b7c6d", 40000)]
    # CUDA stops at the first entry naming no GPU; an empty value hides them all.
    assert [g.id for g in parse_nvidia_smi(SMI, "0,7,1")] == ["0"]
    assert parse_nvidia_smi(SMI, "") == []
    assert parse_nvidia_smi(SMI, "-1") == []


def test_a_host_without_nvidia_smi_has_no_accelerators(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert visible_accelerators() == []


def test_trials_per_device_is_bounded_by_memory_cores_and_the_cap():
    assert trials_per_device(H100, footprint_mib=850, cpus=16, devices=1) == MAX_TRIALS_PER_DEVICE
    assert trials_per_device(H100, footprint_mib=850, cpus=4, devices=1) == 3  # one core stays with the sweep
    assert trials_per_device(H100, footprint_mib=850, cpus=16, devices=4) == 3
    assert trials_per_device(H100, footprint_mib=20_000, cpus=16, devices=1) == 3  # 0.9 * 81003 // 20000
    assert trials_per_device(H100, footprint_mib=200_000, cpus=16, devices=1) == 1  # never zero
    assert trials_per_device(H100, footprint_mib=850, cpus=1, devices=1) == 1


def test_workers_are_pinned_round_robin_with_a_memory_share_for_the_backend():
    gpus = parse_nvidia_smi(SMI)
    jax = worker_environments(3, gpus, "jax", environ={})
    assert [env["CUDA_VISIBLE_DEVICES"] for env in jax] == ["0", "1", "0"]
    # Two workers share GPU 0 and one has GPU 1 to itself: 0.9 of the memory split between those on it.
    assert [env["XLA_PYTHON_CLIENT_MEM_FRACTION"] for env in jax] == ["0.450", "0.900", "0.450"]
    assert all("JAX_PLATFORMS" in env and env["JAX_PLATFORMS"] is None for env in jax)  # the user's (unset)
    assert [e["TF_FORCE_GPU_ALLOW_GROWTH"] for e in worker_environments(2, gpus, "tensorflow", {})] == ["true"] * 2
    torch = worker_environments(4, gpus[:1], "torch", {})
    assert {env["LRSWEEP_TORCH_MEMORY_FRACTION"] for env in torch} == {"0.225"}


def test_limits_the_user_set_are_kept():
    gpus = parse_nvidia_smi(SMI)
    env = worker_environments(2, gpus, "jax", {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "JAX_PLATFORMS": "cuda"})[0]
    assert "XLA_PYTHON_CLIENT_MEM_FRACTION" not in env and env["JAX_PLATFORMS"] == "cuda"
    assert (
        "TF_FORCE_GPU_ALLOW_GROWTH"
        not in worker_environments(1, gpus, "tensorflow", {"TF_FORCE_GPU_ALLOW_GROWTH": "0"})[0]
    )


def test_without_accelerators_workers_keep_the_environment():
    assert worker_environments(3, [], "jax", {}) == [{}, {}, {}]


def _probe(names: tuple[str, ...]) -> tuple[int, dict[str, str | None]]:
    time.sleep(0.5)  # every worker of the pool gets a probe
    return os.getpid(), {name: os.environ.get(name) for name in names}


def test_each_worker_process_starts_with_its_own_environment(monkeypatch):
    monkeypatch.setenv("LRSWEEP_TEST_UNSET", "parent")
    environments = [{"LRSWEEP_TEST_DEVICE": str(i), "LRSWEEP_TEST_UNSET": None} for i in range(3)]
    names = ("LRSWEEP_TEST_DEVICE", "LRSWEEP_TEST_UNSET")
    pool = worker_pool(3, environments)
    try:
        seen = dict(pool.map(_probe, [names] * 6))
    finally:
        pool.shutdown()
    assert sorted(env["LRSWEEP_TEST_DEVICE"] for env in seen.values()) == ["0", "1", "2"]
    assert all(env["LRSWEEP_TEST_UNSET"] is None for env in seen.values())


def test_the_jax_platform_comes_back_to_a_worker_after_the_sweep_hid_the_gpus():
    pytest.importorskip("jax")
    script = (
        "import jax\n"
        "from lrsweep.sweep.workers._devices import apply_environment, keep_off_accelerators\n"
        "keep_off_accelerators()\n"
        "assert jax.config.jax_platforms == 'cpu'\n"
        "apply_environment({'JAX_PLATFORMS': None, 'CUDA_VISIBLE_DEVICES': '0'})\n"
        "assert jax.config.jax_platforms is None, jax.config.jax_platforms\n"
        "print(jax.devices()[0].platform)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] in ("cpu", "gpu", "cuda")
    apply_environment({})


def test_the_footprint_counts_the_data_the_weights_and_a_batch_of_activations(compose_config, data_dir):
    from lrsweep.data import load_fashion_mnist

    dataset = load_fashion_mnist(data_dir=str(data_dir))
    small = footprint_mib(compose_config(f"data.data_dir={data_dir}", "trainer.batch_size=64"), dataset)
    large = footprint_mib(compose_config(f"data.data_dir={data_dir}", "trainer.batch_size=128"), dataset)
    # The seed CNN's layer outputs per image: 28*28*32 + 28*28*16 + 12544 (flatten) + 10 values.
    per_image = 28 * 28 * 32 + 28 * 28 * 16 + 12544 + 10
    assert large - small == pytest.approx(3 * 64 * per_image * 4 / 2**20)
    images = sum(a.nbytes for a in (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val))
    assert small == pytest.approx(CONTEXT_MIB + (images + 4 * 130394 * 4 + 3 * 64 * per_image * 4) / 2**20)
