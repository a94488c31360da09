// SPDX-License-Identifier: GPL-2.0
/*
 * A free page reporting sink that hands the free blocks to KVM by
 * hypercall (KVM_HC_DISCARD_RANGES), so that the host kernel drops their
 * memory itself, for any VMM, instead of the VMM through virtio-balloon.
 *
 * It is a page reporting device like virtio-balloon's and like Hyper-V's
 * (drivers/hv/hv_balloon.c, hv_free_page_report()): page reporting's
 * worker hands it batches of free blocks taken off the free lists, both
 * the blocks free page hinting captured and those of upstream's free list
 * scan, one batch at a time, and puts them back once report() returns.
 *
 * Only one page reporting device can register.  When the host handles the
 * hypercall, this sink registers first (subsys_initcall, before drivers
 * probe) and virtio-balloon then runs without its reporting queue; boot
 * with kvm_page_hinting.enabled=0 to keep virtio-balloon's reporting, for
 * instance to compare the two on the same kernel.
 *
 * The host handles the call if a probe call with no entries answers
 * -KVM_EINVAL (a bad argument of a call it knows); a host without it, or
 * one that did not enable it for this VM, answers -KVM_ENOSYS.
 */
#include <linux/cc_platform.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/page_reporting.h>
#include <linux/scatterlist.h>
#include <linux/seqlock.h>
#include <linux/sysfs.h>
#include <linux/kvm_para.h>

static bool kph_enabled = true;
module_param_named(enabled, kph_enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Report free pages to KVM by hypercall when the host supports it");

/*
 * The hand-off.  report() writes the batch into the list page and passes
 * its address to the host, which reads it during the call.  Page
 * reporting's worker is the only writer and makes one call at a time, so
 * the host needs no lock to see a stable list.  The seqlock is for the
 * other readers (sysfs 'last_list'): the list and its generation, read
 * together, without ever making the worker wait.  It is held only while
 * the list is written, never across the hypercall.
 */
struct kph_sink {
	struct page_reporting_dev_info prdev;
	seqlock_t lock;
	struct kvm_discard_range *list;	/* one page, PAGE_REPORTING_CAPACITY used */
	unsigned int nr;		/* entries of the last batch */
	u64 gen;			/* batches written */
	/* Statistics, written by the worker only. */
	unsigned long calls, ranges, bytes, errors;
};

static struct kph_sink kph;

/* The call itself: entries [@first, @nr) of the list. */
static long kph_call(unsigned int first, unsigned int nr)
{
	WRITE_ONCE(kph.calls, kph.calls + 1);
	return kvm_hypercall3(KVM_HC_DISCARD_RANGES,
			      __pa(&kph.list[first]), nr - first, 0);
}

typedef long (*kph_call_fn)(unsigned int first, unsigned int nr);

/*
 * Hand the @nents entries of the list to the host with @call.  The host
 * does a bounded amount of work per call and returns how many entries it
 * completed; call again for the rest.  KVM completes at least one entry
 * per call unless the VM is being killed, but a VMM that handles the call
 * itself (KVM_EXIT_HYPERCALL) may answer 0: no progress is an error, or
 * the worker would call forever.
 *
 * Return: 0, the host's error code (a negative KVM_E*) for a refused
 * entry, or -EPROTO when a call completed no entry.
 */
static long kph_hand_off(unsigned int nents, kph_call_fn call)
{
	unsigned int done = 0;
	long ret;

	while (done < nents) {
		ret = call(done, nents);
		if (ret < 0)
			return ret;
		if (!ret)
			return -EPROTO;
		done += min_t(long, ret, nents - done);
		cond_resched();
	}
	return 0;
}

static int kph_report(struct page_reporting_dev_info *prdev,
		      struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	unsigned int i;
	u64 bytes = 0;
	long ret;

	write_seqlock(&kph.lock);
	for_each_sg(sgl, sg, nents, i) {
		kph.list[i].gpa = page_to_phys(sg_page(sg));
		kph.list[i].size = sg->length;
		bytes += sg->length;
	}
	kph.nr = nents;
	kph.gen++;
	write_sequnlock(&kph.lock);

	ret = kph_hand_off(nents, kph_call);
	if (ret) {
		WRITE_ONCE(kph.errors, kph.errors + 1);
		if (ret == -EPROTO)
			pr_warn_ratelimited("kvm_page_hinting: a call completed no range\n");
		else
			pr_warn_ratelimited("kvm_page_hinting: the host refused a range: %ld\n",
					    ret);
		return -EIO;
	}
	WRITE_ONCE(kph.ranges, kph.ranges + nents);
	WRITE_ONCE(kph.bytes, kph.bytes + bytes);
	return 0;
}

#define KPH_STAT(_name, _var)						\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", READ_ONCE(_var));		\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

KPH_STAT(calls, kph.calls);
KPH_STAT(ranges, kph.ranges);
KPH_STAT(bytes, kph.bytes);
KPH_STAT(errors, kph.errors);

/* "gen N" and the entries of the last batch, one "gpa size" pair a line. */
static ssize_t last_list_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct kvm_discard_range copy[PAGE_REPORTING_CAPACITY];
	unsigned int seq, nr, i;
	int len;
	u64 gen;

	do {
		seq = read_seqbegin(&kph.lock);
		gen = kph.gen;
		nr = min_t(unsigned int, kph.nr, PAGE_REPORTING_CAPACITY);
		memcpy(copy, kph.list, nr * sizeof(*copy));
	} while (read_seqretry(&kph.lock, seq));

	len = sysfs_emit(buf, "gen %llu\n", gen);
	for (i = 0; i < nr; i++)
		len += sysfs_emit_at(buf, len, "%#llx %#llx\n",
				     copy[i].gpa, copy[i].size);
	return len;
}

static struct kobj_attribute last_list_attr = __ATTR_RO(last_list);

static struct attribute *kph_attrs[] = {
	&calls_attr.attr,
	&ranges_attr.attr,
	&bytes_attr.attr,
	&errors_attr.attr,
	&last_list_attr.attr,
	NULL,
};

static const struct attribute_group kph_group = {
	.attrs = kph_attrs,
};

/*
 * Dropped pages come back as zeros: wrong where the guest expects a
 * non-zero poison pattern in free pages, and useless in a confidential
 * guest, whose host cannot hand it plain zeros.
 */
static bool kph_host_supports(void)
{
	if (!kvm_para_available() || page_poisoning_enabled_static() ||
	    cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT))
		return false;
	/* The probe: no entries is a bad argument to a host that knows the call. */
	return kvm_hypercall3(KVM_HC_DISCARD_RANGES, 0, 0, 0) == -KVM_EINVAL;
}

static int __init kph_init(void)
{
	struct kobject *kobj;
	int err;

	if (!kph_enabled || !kph_host_supports())
		return 0;

	kph.list = (void *)get_zeroed_page(GFP_KERNEL);
	if (!kph.list)
		return -ENOMEM;
	seqlock_init(&kph.lock);
	kph.prdev.report = kph_report;
	err = page_reporting_register(&kph.prdev);
	if (err) {
		pr_info("kvm_page_hinting: another free page reporting device is registered (%d)\n",
			err);
		free_page((unsigned long)kph.list);
		return 0;
	}
	pr_info("kvm_page_hinting: reporting free pages to KVM by hypercall\n");

	kobj = kobject_create_and_add("page_hinting_kvm", mm_kobj);
	if (!kobj || sysfs_create_group(kobj, &kph_group))
		pr_warn("kvm_page_hinting: no statistics in sysfs\n");
	return 0;
}
subsys_initcall(kph_init);

#if IS_ENABLED(CONFIG_PAGE_HINTING_KVM_KUNIT_TEST)
#include "kvm_page_hinting_kunit.c"
#endif
