/*
 * tools/wheel.h — a hashed timer wheel with one-second ticks for event
 * loops that hold many sessions (sink, load). Header-only.
 *
 * Ticks are whole seconds of a monotonic clock; the tick `now` given at
 * init counts as already scanned.
 *
 * Nodes are embedded in the caller's objects (intrusive), so arming,
 * re-arming and disarming are O(1) and allocate nothing. RFC 5321
 * §4.5.3.2 timeouts are minutes long, so a one-second resolution is
 * plenty; deadlines further away than WHEEL_SLOTS seconds simply stay in
 * their slot for more rounds.
 *
 *   wheel_init(&w, now);
 *   wheel_arm(&w, &sess->timer, now + seconds);
 *   while ((n = wheel_expired(&w, now)) != NULL) handle(container_of(n));
 */
#ifndef POSTEL_TOOLS_WHEEL_H
#define POSTEL_TOOLS_WHEEL_H

#include <stddef.h>
#include <stdint.h>

#define WHEEL_SLOTS 1024u /* power of two */

typedef struct wheel_node {
	struct wheel_node *prev, *next; /* NULL when not armed */
	uint64_t due;                   /* tick at which it expires */
} wheel_node;

typedef struct wheel {
	wheel_node slot[WHEEL_SLOTS]; /* list heads (sentinels) */
	wheel_node expired;           /* due nodes not yet handed out */
	uint64_t cursor;              /* next tick to scan */
	size_t armed;                 /* how many nodes are armed */
} wheel;

static inline void wheel_init(wheel *w, uint64_t now)
{
	for (unsigned i = 0; i < WHEEL_SLOTS; i++)
		w->slot[i].prev = w->slot[i].next = &w->slot[i];
	w->expired.prev = w->expired.next = &w->expired;
	w->cursor = now + 1;
	w->armed = 0;
}

static inline void wheel_node_init(wheel_node *n)
{
	n->prev = n->next = NULL;
	n->due = 0;
}

static inline int wheel_armed(const wheel_node *n)
{
	return n->next != NULL;
}

static inline void wheel_disarm(wheel *w, wheel_node *n)
{
	if (n->next == NULL)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
	w->armed--;
}

/** Arm (or re-arm) n to expire at tick `due` (due > the current tick). */
static inline void wheel_arm(wheel *w, wheel_node *n, uint64_t due)
{
	wheel_node *head;
	wheel_disarm(w, n);
	if (due < w->cursor)
		due = w->cursor; /* never behind the scan */
	head = &w->slot[due & (WHEEL_SLOTS - 1)];
	n->due = due;
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
	w->armed++;
}

/**
 * One node whose deadline is <= now, disarmed, or NULL when none is left.
 * Call until NULL on every tick. Each slot is scanned once per tick: its
 * due nodes move to the expired list, which is then popped.
 */
static inline wheel_node *wheel_expired(wheel *w, uint64_t now)
{
	wheel_node *n;
	if (w->armed == 0) {
		w->cursor = now + 1;
		return NULL;
	}
	if (now >= w->cursor && now - w->cursor >= WHEEL_SLOTS)
		w->cursor = now - WHEEL_SLOTS + 1; /* visit each slot once */
	while (w->expired.next == &w->expired && w->cursor <= now) {
		wheel_node *head = &w->slot[w->cursor & (WHEEL_SLOTS - 1)];
		for (n = head->next; n != head;) {
			wheel_node *next = n->next;
			if (n->due <= now) {
				n->prev->next = n->next;
				n->next->prev = n->prev;
				n->next = w->expired.next;
				n->prev = &w->expired;
				w->expired.next->prev = n;
				w->expired.next = n;
			}
			n = next;
		}
		w->cursor++;
	}
	n = w->expired.next;
	if (n == &w->expired)
		return NULL;
	wheel_disarm(w, n);
	return n;
}

#endif
