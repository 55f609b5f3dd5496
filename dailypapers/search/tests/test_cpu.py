"""Reading the CPU and choosing the document precision from it."""

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from dailypapers.search import cpu

EPYC_ROME = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B12
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 bmi2 sha_ni

processor\t: 1
model name\t: AMD EPYC 7B12
flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 bmi2 sha_ni
"""
SKYLAKE_SP = "model name\t: Intel(R) Xeon(R) Gold 6148\nflags\t\t: avx avx2 fma avx512f avx512bw avx512cd\n"
SAPPHIRE_RAPIDS = ("model name\t: Intel(R) Xeon(R) Platinum 8488C\nflags\t\t: avx2 fma avx512f avx512bw avx512_vnni "
                   "avx_vnni avx512_bf16 amx_bf16 amx_tile amx_int8\n")
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd crc32 atomics asimddp sve i8mm bf16\nCPU part\t: 0xd40\n"
RASPBERRY_PI = "processor\t: 0\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n"


def read(arch, text):
    return cpu._from_cpuinfo(arch, text)


@pytest.mark.parametrize(("arch", "text", "level", "auto"), [
    ("x86_64", EPYC_ROME, "avx2", "fp32"),
    ("x86_64", SKYLAKE_SP, "avx512", "fp32"),
    ("x86_64", SAPPHIRE_RAPIDS, "amx", "int8"),
    ("aarch64", GRAVITON3, "arm64-dotprod", "fp32"),
    ("aarch64", RASPBERRY_PI, "arm64", "fp32"),
    ("riscv64", "processor\t: 0\nisa\t: rv64imafdc\n", "riscv64", "fp32"),
])
def test_it_names_the_cpu_and_picks_a_measured_precision(arch, text, level, auto):
    found = read(arch, text)
    assert found.level == level
    assert cpu.choose("auto", found).precision == auto
    assert cpu.choose("fp32", found).precision == "fp32"  # fp32 runs everywhere


def test_it_refuses_int8_where_the_cpu_has_no_int8_dot_products():
    with pytest.raises(ImproperlyConfigured, match=r"AMD EPYC 7B12, avx2\) has no int8 dot-product"):
        cpu.choose("int8", read("x86_64", EPYC_ROME))
    with pytest.raises(ImproperlyConfigured, match="has no int8 dot-product"):
        cpu.choose("int8", read("x86_64", SKYLAKE_SP))
    assert cpu.choose("int8", read("aarch64", GRAVITON3)).precision == "int8"  # asked for, and it can


@pytest.mark.parametrize("junk", ["bf16", "fp16", "INT4", "torch"])
def test_it_refuses_precisions_that_do_not_exist_here(junk):
    with pytest.raises(ImproperlyConfigured, match="SEARCH_EMBED_PRECISION"):
        cpu.choose(junk, read("x86_64", SAPPHIRE_RAPIDS))


def test_what_it_reads_agrees_with_the_instructions_this_process_can_run():
    """/proc/cpuinfo against CPUID as numpy's dispatcher sees it: under scripts/with-cpu avx2 both
    must say no AVX-512, or the AVX2 run of the suite would test nothing."""
    from numpy._core._multiarray_umath import __cpu_features__ as runnable

    here = cpu.detect()
    if here.arch != "x86_64":
        assert not here.flags or "avx2" not in here.flags
        return
    assert ("avx512f" in here.flags) == runnable["AVX512F"]
    assert ("avx512_vnni" in here.flags) == runnable["AVX512VNNI"]
    assert ("avx2" in here.flags) == runnable["AVX2"]
    assert np.dot(np.ones(4), np.ones(4)) == 4  # numpy still works under the mask
