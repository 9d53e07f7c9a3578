// Package queue is an in-tree generic FIFO (no client-go workqueue model applies to it).
package queue

import "sync"

type Queue[T comparable] struct {
	lock         sync.Mutex
	cond         *sync.Cond
	items        []T
	dirty        map[T]struct{}
	shuttingDown bool
}

func New[T comparable]() *Queue[T] {
	q := &Queue[T]{dirty: map[T]struct{}{}}
	q.cond = sync.NewCond(&q.lock)
	return q
}

// Add marks item as needing processing.
func (q *Queue[T]) Add(item T) {
	q.lock.Lock()
	defer q.lock.Unlock()
	if _, exists := q.dirty[item]; exists {
		return
	}
	q.dirty[item] = struct{}{}
	q.items = append(q.items, item)
	q.cond.Signal()
}

// Pop blocks until an item can be processed; it returns the zero T after ShutDown.
func (q *Queue[T]) Pop() T {
	q.lock.Lock()
	defer q.lock.Unlock()
	for len(q.items) == 0 && !q.shuttingDown {
		q.cond.Wait()
	}
	var item T
	if len(q.items) == 0 {
		return item
	}
	item = q.items[0]
	q.items = q.items[1:]
	delete(q.dirty, item)
	return item
}

func (q *Queue[T]) ShutDown() {
	q.lock.Lock()
	defer q.lock.Unlock()
	q.shuttingDown = true
	q.cond.Broadcast()
}

// Filter returns the elements of items for which keep returns true.
func Filter[T any](items []T, keep func(T) bool) []T {
	var out []T
	for _, item := range items {
		if keep(item) {
			out = append(out, item)
		}
	}
	return out
}
