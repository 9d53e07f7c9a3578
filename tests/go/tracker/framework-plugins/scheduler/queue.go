package scheduler

import (
	"sync"

	v1 "k8s.io/api/core/v1"
)

// PriorityQueue is a minimal stand-in for the scheduler's active queue.
type PriorityQueue struct {
	lock    sync.Mutex
	cond    *sync.Cond
	activeQ []*v1.Pod
}

func NewPriorityQueue() *PriorityQueue {
	pq := &PriorityQueue{}
	pq.cond = sync.NewCond(&pq.lock)
	return pq
}

func (p *PriorityQueue) Add(pod *v1.Pod) {
	p.lock.Lock()
	defer p.lock.Unlock()
	p.activeQ = append(p.activeQ, pod)
	p.cond.Broadcast()
}

func (p *PriorityQueue) Pop() *v1.Pod {
	p.lock.Lock()
	defer p.lock.Unlock()
	for len(p.activeQ) == 0 {
		p.cond.Wait()
	}
	pod := p.activeQ[0]
	p.activeQ = p.activeQ[1:]
	return pod
}
