/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of free page hinting (mm/page_hinting.c): one event per pass
 * of the page reporting worker while hinting is enabled, and one per batch
 * handed to the reporting device.  The sysfs statistics count the same
 * things; these events tell when each happened and how long it took, which
 * is what the time from a free to the host's drop is made of.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM page_hinting

#if !defined(_TRACE_PAGE_HINTING_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_PAGE_HINTING_H

#include <linux/tracepoint.h>

TRACE_EVENT(page_hinting_pass,

	TP_PROTO(unsigned long candidates, unsigned long aged,
		 unsigned long hinted_pages, unsigned int delay_ms, int err),

	TP_ARGS(candidates, aged, hinted_pages, delay_ms, err),

	TP_STRUCT__entry(
		__field(unsigned long,	candidates)
		__field(unsigned long,	aged)
		__field(unsigned long,	hinted_pages)
		__field(unsigned int,	delay_ms)
		__field(int,		err)
	),

	TP_fast_assign(
		__entry->candidates	= candidates;
		__entry->aged		= aged;
		__entry->hinted_pages	= hinted_pages;
		__entry->delay_ms	= delay_ms;
		__entry->err		= err;
	),

	TP_printk("candidates=%lu aged=%lu hinted_pages=%lu delay_ms=%u err=%d",
		  __entry->candidates, __entry->aged, __entry->hinted_pages,
		  __entry->delay_ms, __entry->err)
);

TRACE_EVENT(page_hinting_handoff,

	TP_PROTO(unsigned int blocks, unsigned long pages, u64 ns, int err),

	TP_ARGS(blocks, pages, ns, err),

	TP_STRUCT__entry(
		__field(unsigned int,	blocks)
		__field(unsigned long,	pages)
		__field(u64,		ns)
		__field(int,		err)
	),

	TP_fast_assign(
		__entry->blocks	= blocks;
		__entry->pages	= pages;
		__entry->ns	= ns;
		__entry->err	= err;
	),

	TP_printk("blocks=%u pages=%lu ns=%llu err=%d",
		  __entry->blocks, __entry->pages, __entry->ns, __entry->err)
);

#endif /* _TRACE_PAGE_HINTING_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
