// Package queue is a minimal stand-in for pkg/scheduler/internal/queue.
package queue

import (
	"sync"

	v1 "k8s.io/api/core/v1"
)

type QueuedPodInfo struct {
	Pod *v1.Pod
}

type SchedulingQueue interface {
	Add(pod *v1.Pod) error
	Pop() (*QueuedPodInfo, error)
}

type PriorityQueue struct {
	lock    sync.Mutex
	cond    sync.Cond
	activeQ []*QueuedPodInfo
}

func NewPriorityQueue() *PriorityQueue {
	pq := &PriorityQueue{}
	pq.cond.L = &pq.lock
	return pq
}

func (p *PriorityQueue) Add(pod *v1.Pod) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	p.activeQ = append(p.activeQ, &QueuedPodInfo{Pod: pod})
	p.cond.Broadcast()
	return nil
}

func (p *PriorityQueue) Pop() (*QueuedPodInfo, error) {
	p.lock.Lock()
	defer p.lock.Unlock()
	for len(p.activeQ) == 0 {
		p.cond.Wait()
	}
	pInfo := p.activeQ[0]
	p.activeQ = p.activeQ[1:]
	return pInfo, nil
}
