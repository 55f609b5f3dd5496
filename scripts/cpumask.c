// LD_PRELOAD library behind scripts/with-cpu: CPUID answers without the features of a smaller CPU.
// Needs Linux CPUID faulting (arch_prctl ARCH_SET_CPUID; "cpuid_fault" in /proc/cpuinfo flags).
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <dlfcn.h>

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static struct sigaction app_handler;  // the handler the program itself installs for SIGSEGV
static int have_app_handler;
static uint32_t mask7b, mask7c, mask7d, mask71a;  // bits cleared in leaf 7 (sub-leaf 0: EBX ECX EDX; 1: EAX)

static long set_cpuid(int enabled) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled); }

static void on_segv(int sig, siginfo_t *info, void *ctx) {
    ucontext_t *uc = ctx;
    greg_t *r = uc->uc_mcontext.gregs;
    unsigned char *ip = (unsigned char *)r[REG_RIP];
    if (ip[0] == 0x0f && ip[1] == 0xa2) {  // CPUID: run it for real, then hide the masked bits
        uint32_t leaf = r[REG_RAX], sub = r[REG_RCX], a, b, c, d;
        set_cpuid(1);
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
        set_cpuid(0);
        if (leaf == 7 && sub == 0) { b &= ~mask7b; c &= ~mask7c; d &= ~mask7d; }
        if (leaf == 7 && sub == 1) { a &= ~mask71a; }
        r[REG_RAX] = a; r[REG_RBX] = b; r[REG_RCX] = c; r[REG_RDX] = d;
        r[REG_RIP] += 2;
        return;
    }
    if (have_app_handler && (app_handler.sa_flags & SA_SIGINFO)) { app_handler.sa_sigaction(sig, info, ctx); return; }
    if (have_app_handler && app_handler.sa_handler != SIG_DFL && app_handler.sa_handler != SIG_IGN) {
        app_handler.sa_handler(sig); return;
    }
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
}

// Programs that install their own SIGSEGV handler (Python's faulthandler) get it called for real
// faults; CPUID stays ours.
int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    if (sig == SIGSEGV) {
        if (old) *old = app_handler;
        if (act) { app_handler = *act; have_app_handler = 1; }
        return 0;
    }
    if (!real_sigaction) real_sigaction = dlsym(RTLD_NEXT, "sigaction");
    return real_sigaction(sig, act, old);
}

__attribute__((constructor)) static void init(void) {
    const char *level = getenv("CPUMASK_LEVEL");
    if (!level) return;
    // AVX-512 family, AMX, AVX-VNNI and AVX512-BF16: what an AVX2-only x86-64 CPU lacks.
    uint32_t avx512_b = (1u<<16)|(1u<<17)|(1u<<21)|(1u<<26)|(1u<<27)|(1u<<28)|(1u<<30)|(1u<<31);
    uint32_t avx512_c = (1u<<1)|(1u<<6)|(1u<<11)|(1u<<12)|(1u<<14);
    uint32_t avx512_d = (1u<<2)|(1u<<3)|(1u<<8)|(1u<<23);
    uint32_t amx_d = (1u<<22)|(1u<<24)|(1u<<25);
    if (!strcmp(level, "avx2")) { mask7b = avx512_b; mask7c = avx512_c; mask7d = avx512_d | amx_d; mask71a = (1u<<4)|(1u<<5); }
    else if (!strcmp(level, "avx512")) { mask7c = 1u<<11; mask7d = amx_d; mask71a = (1u<<4)|(1u<<5); }  // Skylake-SP
    else if (!strcmp(level, "avx512vnni")) { mask7d = amx_d; mask71a = 1u<<5; }  // Cascade/Ice Lake
    else { fprintf(stderr, "cpumask: unknown CPUMASK_LEVEL=%s\n", level); _exit(2); }
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    real_sigaction = dlsym(RTLD_NEXT, "sigaction");
    real_sigaction(SIGSEGV, &sa, NULL);
    if (set_cpuid(0) != 0) { perror("cpumask: arch_prctl(ARCH_SET_CPUID)"); _exit(2); }
}
