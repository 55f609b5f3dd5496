"""What the CPU can do, and the embedding precision that follows from it.

ONNX Runtime picks its kernels from the CPU at run time; what we choose is the model's precision.
int8 is used by default only where the CPU has int8 dot-product instructions (AVX-512 VNNI, AVX-VNNI,
AMX) and it was measured to cost at most 1 % nDCG@10 against fp32 (docs/search.md, per CPU). Elsewhere
— AVX2-only and AVX-512-only x86-64, arm64, anything unknown — fp32: never a path we have not measured.
"""

import os
import platform
import subprocess
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

PRECISIONS = ("fp32", "int8")
# Flags as Linux names them in /proc/cpuinfo (x86 "flags", arm64 "Features").
INT8_DOT_PRODUCT = {"x86_64": ("amx_int8", "avx512_vnni", "avx_vnni"), "aarch64": ("asimddp", "i8mm")}
# Where int8 was measured within 1 % nDCG@10 of fp32 (docs/search.md): x86-64 with VNNI or AMX.
INT8_BY_DEFAULT = ("amx_int8", "avx512_vnni", "avx_vnni")
SHOWN = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8",
         "amx_bf16", "asimd", "asimddp", "i8mm", "bf16", "sve")


@dataclass(frozen=True)
class Cpu:
    arch: str
    model: str
    flags: frozenset

    @property
    def int8_dot_product(self):
        return any(flag in self.flags for flag in INT8_DOT_PRODUCT.get(self.arch, ()))

    @property
    def level(self):
        """A short name for the class of CPU, as docs/search.md's tables name them."""
        if self.arch == "x86_64":
            for name, flag in (("amx", "amx_int8"), ("avx512-vnni", "avx512_vnni"), ("avx512", "avx512f"),
                               ("avx2-vnni", "avx_vnni"), ("avx2", "avx2")):
                if flag in self.flags:
                    return name
            return "x86-64"
        if self.arch == "aarch64":
            return "arm64-dotprod" if self.int8_dot_product else "arm64"
        return self.arch or "unknown"

    def shown_flags(self):
        return [flag for flag in SHOWN if flag in self.flags]


def _arch():
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def detect(cpuinfo="/proc/cpuinfo"):
    """The CPU this process runs on: Linux /proc/cpuinfo, macOS sysctl, else only its architecture."""
    arch = _arch()
    try:
        with open(cpuinfo) as fh:
            return _from_cpuinfo(arch, fh.read())
    except OSError:
        pass
    if platform.system() == "Darwin":
        return _from_sysctl(arch)
    return Cpu(arch, platform.processor() or arch, frozenset())


def _from_cpuinfo(arch, text):
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())  # the first processor speaks for all
    flags = fields.get("flags") or fields.get("Features") or ""
    model = fields.get("model name") or fields.get("CPU part") or arch
    return Cpu(arch, model, frozenset(flags.split()))


def _from_sysctl(arch):
    def sysctl(name):
        try:
            return subprocess.run(["/usr/sbin/sysctl", "-n", name], capture_output=True, text=True,  # noqa: S603
                                  timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    flags = set()
    if arch == "aarch64":  # every Apple silicon CPU has NEON; dot product and i8mm are reported
        flags.add("asimd")
        if sysctl("hw.optional.arm.FEAT_DotProd") == "1":
            flags.add("asimddp")
        if sysctl("hw.optional.arm.FEAT_I8MM") == "1":
            flags.add("i8mm")
    else:
        flags.update(flag.lower().replace(".", "_") for flag in
                     (sysctl("machdep.cpu.features") + " " + sysctl("machdep.cpu.leaf7_features")).split())
    return Cpu(arch, sysctl("machdep.cpu.brand_string") or arch, frozenset(flags))


@dataclass(frozen=True)
class Choice:
    precision: str
    reason: str


def choose(requested, cpu):
    """The document precision for ``requested`` ("auto", "fp32" or "int8") on ``cpu``; a request this
    CPU cannot run fast, or that does not exist, is refused with the reason."""
    requested = (requested or "auto").strip().lower()
    if requested == "bf16":
        raise ImproperlyConfigured(
            "SEARCH_EMBED_PRECISION=bf16: embeddings run on ONNX Runtime, which has no bf16 path for this "
            "model on CPUs (torch emulated bf16 where the CPU lacks it, 6x slower). Use auto, fp32 or int8.")
    if requested not in ("auto", *PRECISIONS):
        raise ImproperlyConfigured(f"SEARCH_EMBED_PRECISION={requested!r}: expected auto, fp32 or int8")
    if requested == "fp32":
        return Choice("fp32", "set by SEARCH_EMBED_PRECISION")
    if requested == "int8":
        if not cpu.int8_dot_product:
            raise ImproperlyConfigured(
                f"SEARCH_EMBED_PRECISION=int8: this CPU ({cpu.model}, {cpu.level}) has no int8 dot-product "
                "instructions (AVX-512 VNNI, AVX-VNNI, AMX; arm64 dotprod/i8mm). There ONNX Runtime's int8 "
                "kernels saturate and lose retrieval quality (docs/search.md). Use auto or fp32.")
        return Choice("int8", "set by SEARCH_EMBED_PRECISION")
    if any(flag in cpu.flags for flag in INT8_BY_DEFAULT):
        found = next(flag for flag in INT8_BY_DEFAULT if flag in cpu.flags)
        return Choice("int8", f"{found}: int8 dot products, measured within 1% nDCG@10 of fp32")
    return Choice("fp32", f"{cpu.level}: no measured int8 path on this CPU")


def cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
