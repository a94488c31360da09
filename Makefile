# SPDX-License-Identifier: GPL-2.0
#
# Free page hinting for KVM guests: build, boot, measure, test.
#
#   make deps        install the Debian packages the project needs
#   make kernel      patch + overlay linux-source-6.12, build bzImage
#                    (VARIANT=guest, the default, or VARIANT=debug)
#   make initramfs   busybox + stress-ng + the guest scripts
#   make tools       the host memory sampler (build/tools/hostmem)
#   make run         boot the guest with a shell on the console
#   make demo        measure how fast each configuration returns memory,
#                    then the two sinks inside L1 (NESTED=0 skips those)
#   make check       every test; the last line says "N passed, N failed"
#   make check-repeat  the suite REPEAT times (5): every entry's pass rate
#   make bench       benchmarks: compression, pfbench under -icount (guest
#                    cost per page) and throughput under alloc/free churn,
#                    reporting off/on/tuned and hinting; then the sinks'
#                    host cost per hinted GiB inside L1 and the longest
#                    KVM_HC_DISCARD_RANGES call and mmu_lock hold (NESTED=0
#                    skips both)
#   make l1-selftests  KVM selftests on our kernel as an L1 host (NPT=0 for
#                    the shadow MMU, TESTS="...", L1_PARAMS="kvm.x=1 ...")
#   make l2-smoke    an L2 guest under KVM in that L1 (NPT=0 too)
#   make l2-backings the hypercall sink in L2 on hugetlbfs and mlocked memory
#   make l2-hinting  hinting end to end in L2: hypercall and virtio sinks
#   make soak        the reliability tests at lengths CI cannot afford:
#                    SOAK_MIN=10 FUZZ_CALLS=1000000 ROUNDS=10 CONCURRENT=1
#   make peers       every upstream x86_64 KVM selftest in L1 on the unpatched
#                    kernel and on ours: none that passes there may fail on
#                    ours (NPT=0 for the shadow MMU; PEER_TIMEOUT=120)
#   make debian-config  the directories the series touches, built at W=1
#                    with Debian's own 6.12 config plus our options: no new
#                    warning against the pristine tree (in make check)
#   make series      the two patch series for upstream, git format-patch
#                    style, in build/series/{mm,kvm} (tools/series/)
#   make series-check  git am them onto a pristine linux-source-6.12 tree,
#                    compile what each patch touches, then the whole kernel
#
# Everything is built under build/; every target is incremental.

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build
SRC := $(B)/linux
VARIANT ?= guest
OBJ := $(B)/obj-$(VARIANT)
BZIMAGE := $(OBJ)/arch/x86/boot/bzImage
INITRAMFS := $(B)/initramfs.cpio
TOOLS := $(B)/tools
JOBS ?= $(shell nproc)

FRAGMENTS_guest := configs/guest.config
FRAGMENTS_debug := configs/guest.config configs/debug.config
FRAGMENTS_pageowner := configs/guest.config configs/page_owner.config
FRAGMENTS := $(FRAGMENTS_$(VARIANT))
ifeq ($(FRAGMENTS),)
$(error VARIANT=$(VARIANT): no such kernel variant (guest, debug, pageowner))
endif

PACKAGES := linux-source-6.12 build-essential flex bison libelf-dev libssl-dev \
	bc cpio dwarves kmod xz-utils patch ccache sparse qemu-system-x86 stress-ng \
	busybox-static gnuplot-nox python3-docutils

# Fixed build identity, so that ccache hits after a clean build too.
export KBUILD_BUILD_TIMESTAMP := 2026-01-01
export KBUILD_BUILD_USER := hinting
export KBUILD_BUILD_HOST := build
export CCACHE_MAXSIZE ?= 8G
# The kernel's compile commands carry absolute paths (srctree is absolute
# when O= is not a subdirectory of the source).  ccache rewrites those under
# its base directory into paths relative to the build directory, so that a
# clone at another path (CI's) hits the cache that this one filled.
export CCACHE_BASEDIR := $(TOP)
# The file names the kernel prints (WARN, BUG) are relative to the source
# tree: kbuild maps its absolute srctree away, but the compiler now sees the
# relative paths ccache passes it (../linux/mm/...), so map those too.
export KCPPFLAGS := -fmacro-prefix-map=../linux/=
# MAKEFLAGS is reset so that the kernel's own commands do not depend on how
# this Makefile was called: kbuild's x86 image command differs under -s, and
# a `make -s kernel` after a `make kernel` would rebuild bzImage.
KMAKE = MAKEFLAGS= $(MAKE) -C $(SRC) O=$(OBJ) CC="ccache gcc" -j$(JOBS)

# `make demo` options: see tools/vm/demo.sh --help.
RUNS ?= 1
BENCH_RUNS ?= 3
NESTED ?= 1
MEM ?= 2048
SMP ?= 2
WORKLOAD ?= stress-ng --vm 2 --vm-bytes 1500M --vm-keep --timeout 20s
ROWS ?=
QEMU_ARGS ?=

# KVM selftests: paths under tools/testing/selftests/kvm (default: every
# test of tools/l1/tests.conf).  `make l1-selftests` options: see
# tools/l1/run.sh --help.
TESTS ?=
L1 := $(B)/l1
NPT ?= 1
L1_PARAMS ?=
L1_BUDGET ?= 300

all: kernel initramfs tools

deps:
	@tools/build/deps.sh $(PACKAGES)

# The tree is prepared on every call: the script only touches what changed.
tree: deps
	@tools/build/prepare-tree.sh $(TOP) $(B)

$(OBJ)/.config-stamp: $(FRAGMENTS) Kconfig $(wildcard patches/*.patch) tools/build/merge-config.sh
	@tools/build/merge-config.sh $(SRC) $(OBJ) $(FRAGMENTS)
	@touch $@

config: tree
	@$(MAKE) -s --no-print-directory $(OBJ)/.config-stamp

kernel: config
	@echo "  KERNEL  $(VARIANT): building bzImage in $(OBJ)"
	@$(KMAKE) bzImage > $(OBJ)/build.log 2>&1 || { tail -40 $(OBJ)/build.log; exit 1; }
	@grep -E 'warning:|error:' $(OBJ)/build.log || true
	@echo "  KERNEL  $(BZIMAGE)"

$(INITRAMFS): tools/build/mkinitramfs.sh tools/build/initramfs-base.sh $(wildcard tools/guest/*) /usr/bin/stress-ng /bin/busybox
	@tools/build/mkinitramfs.sh $(TOP) $(SRC) $@

initramfs: tree
	@$(MAKE) -s --no-print-directory $(INITRAMFS)

tools: deps
	@mkdir -p $(TOOLS)
	@$(MAKE) --no-print-directory -s -C tools/hostmem O=$(TOOLS)

run: kernel initramfs
	@echo "Booting the guest ($(MEM) MiB, $(SMP) vCPUs); 'poweroff -f' or Ctrl-A x ends it."
	qemu-system-x86_64 -accel tcg -m $(MEM) -smp $(SMP),sockets=$(SMP),cores=1,threads=1 \
		-nographic -no-reboot -kernel $(BZIMAGE) -initrd $(INITRAMFS) \
		-append "console=ttyS0 panic=-1 $(CMDLINE)" $(QEMU_ARGS)

demo: kernel initramfs tools $(if $(filter 1,$(NESTED)),nested-deps)
	@tools/vm/demo.sh --runs $(RUNS) --mem $(MEM) --smp $(SMP) \
		--workload "$(WORKLOAD)" $(if $(ROWS),--rows "$(ROWS)")
ifeq ($(NESTED),1)
	@tools/l1/sinks.sh --table demo --runs $(RUNS)
endif

# What the rows measured inside L1 need: L1's initramfs with L2's payload.
nested-deps: L2 := 1
nested-deps: kernel tools l1-initramfs

# Static KVM selftests from the prepared tree, against its uapi headers.
kvm-selftests: tree
	@tools/build/kvm-selftests.sh $(TESTS)

# The L1 initramfs: busybox, the selftests and their runner; with L2=1 also
# QEMU, the guest kernel and initramfs and the sampler, to run L2 guests.
l1-initramfs: kvm-selftests initramfs $(if $(L2),kernel tools)
	@tools/l1/mkinitramfs.sh $(if $(L2),--l2) $(L1)/initramfs.cpio $(TESTS)

# Boot our kernel as an L1 VM (TCG, -cpu EPYC) and run the tests there.
l1-selftests: kernel l1-initramfs tools
	@tools/l1/run.sh $(if $(L2),--l2) --npt $(NPT) --budget $(L1_BUDGET) \
		$(if $(L1_PARAMS),--params "$(L1_PARAMS)") $(TESTS)

# Boot an L2 guest under KVM in the L1 VM and check it reached its init.
l2-smoke: L2 := 1
l2-smoke: kernel tools l1-initramfs
	@tools/l1/run.sh --l2 --npt $(NPT) --budget $(L1_BUDGET) --name l2-smoke-$(NPT) \
		$(if $(L1_PARAMS),--params "$(L1_PARAMS)") --quiet --job l2-smoke \
		--expect l2-result=ok

# The hypercall sink with the backings that cannot drop base pages: an L2
# on L1's huge pages (-mem-path, private) returns them to the pool; an
# mlocked L2 hears that nothing can be dropped and does not hand any.
l2-backings: L2 := 1
l2-backings: kernel tools l1-initramfs
	@tools/l1/run.sh --l2 --npt $(NPT) --budget $(L1_BUDGET) --name l2-backings-$(NPT) \
		--hugepages 200 --params "kvm.discard_ranges=1 $(L1_PARAMS)" --quiet \
		--job l2-backings --expect backings-result=ok

# Free page hinting end to end: L2 under our KVM in L1 returns memory by
# the hypercall sink (L1 runs with kvm.discard_ranges=1, for stock QEMU)
# and by the virtio sink, and stress-ng --verify stays clean with both.
l2-hinting: L2 := 1
l2-hinting: kernel tools l1-initramfs
	@tools/l1/run.sh --l2 --npt $(NPT) --budget $(L1_BUDGET) --name l2-hinting-$(NPT) \
		--params "kvm.discard_ranges=1 $(L1_PARAMS)" --quiet --job hinting-e2e \
		--expect e2e-result=ok

check: deps
	@tools/check/check.sh

REPEAT ?= 5
check-repeat: deps
	@tools/check/repeat.sh $(REPEAT)

bench: deps
	@mkdir -p $(TOOLS)
	@$(MAKE) -s --no-print-directory -C tools/testing/page_hinting O=$(TOOLS) bench
	@$(MAKE) -s --no-print-directory kernel initramfs tools
	@tools/vm/bench.sh --runs $(BENCH_RUNS)
ifeq ($(NESTED),1)
	@$(MAKE) -s --no-print-directory nested-deps
	@tools/l1/sinks.sh --table bench --runs $(BENCH_RUNS) --orders "9 0"
	@tools/l1/discard-bench.sh
endif

debian-config: deps
	@tools/check/test_debian_config.sh

# The reliability tests of make check at soak lengths (tools/check/soak.sh
# reads SOAK_MIN, FUZZ_CALLS, ROUNDS and CONCURRENT from the environment).
soak: nested-deps
	@$(MAKE) -s --no-print-directory kernel VARIANT=debug
	@tools/check/soak.sh

# Upstream's KVM selftests on the unpatched kernel (build/obj-pristine) and
# on ours, in L1: results in build/peers/.
peers: kernel initramfs tools
	@NPT=$(NPT) tools/l1/peers.sh

# The upstream series (tools/series/series.conf says what goes where).
series: tree
	@tools/series/mkseries.sh

series-check: series kernel
	@tools/series/check-series.sh

clean:
	rm -rf $(B)/obj-* $(B)/tools $(B)/demo $(B)/check $(INITRAMFS) $(B)/kvm-selftests $(L1) \
		$(B)/series-check/obj-*

distclean:
	rm -rf $(B)

.PHONY: all deps tree config kernel initramfs tools run demo check check-repeat bench clean distclean \
	kvm-selftests l1-initramfs l1-selftests l2-smoke l2-backings l2-hinting nested-deps soak peers series series-check \
	debian-config
