// Package queue holds the pods waiting to be scheduled
// (k8s: pkg/scheduler/internal/queue/scheduling_queue.go).
package queue

import (
	"sync"

	v1 "k8s.io/api/core/v1"

	"example.com/kubedemo/pkg/scheduler/framework"
)

// SchedulingQueue is what the scheduler's event handlers write and what
// scheduleOne reads (through Pop, stored in Scheduler.NextPod).
type SchedulingQueue interface {
	Add(pod *v1.Pod) error
	Update(oldPod, newPod *v1.Pod) error
	Delete(pod *v1.Pod) error
	AddUnschedulable(pInfo *framework.PodInfo) error
	// MoveAllToActiveOrBackoffQueue retries every unschedulable pod after a
	// cluster event that may make them schedulable.
	MoveAllToActiveOrBackoffQueue(event string)
	Pop() *framework.PodInfo
	Close()
}

// PriorityQueue is the only SchedulingQueue implementation: activeQ holds
// pods ready to be tried, unschedulablePods the ones that failed.
type PriorityQueue struct {
	lock              sync.Mutex
	cond              sync.Cond
	activeQ           []*framework.PodInfo
	unschedulablePods map[string]*framework.PodInfo
	closed            bool
}

var _ SchedulingQueue = &PriorityQueue{}

// NewPriorityQueue returns an empty queue.
func NewPriorityQueue() *PriorityQueue {
	pq := &PriorityQueue{unschedulablePods: map[string]*framework.PodInfo{}}
	pq.cond.L = &pq.lock
	return pq
}

func podKey(pod *v1.Pod) string {
	return pod.Namespace + "/" + pod.Name
}

func podPriority(pod *v1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// Add puts a new pod in activeQ and wakes Pop.
func (p *PriorityQueue) Add(pod *v1.Pod) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	p.activeQ = append(p.activeQ, &framework.PodInfo{Pod: pod})
	delete(p.unschedulablePods, podKey(pod))
	p.cond.Broadcast()
	return nil
}

// Update replaces the queued copy of a pod; an updated unschedulable pod is
// tried again.
func (p *PriorityQueue) Update(oldPod, newPod *v1.Pod) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	key := podKey(oldPod)
	for i, pInfo := range p.activeQ {
		if podKey(pInfo.Pod) == key {
			p.activeQ[i] = &framework.PodInfo{Pod: newPod, Attempts: pInfo.Attempts}
			return nil
		}
	}
	attempts := 0
	if pInfo, ok := p.unschedulablePods[key]; ok {
		attempts = pInfo.Attempts
		delete(p.unschedulablePods, key)
	}
	p.activeQ = append(p.activeQ, &framework.PodInfo{Pod: newPod, Attempts: attempts})
	p.cond.Broadcast()
	return nil
}

// Delete forgets a pod.
func (p *PriorityQueue) Delete(pod *v1.Pod) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	key := podKey(pod)
	for i, pInfo := range p.activeQ {
		if podKey(pInfo.Pod) == key {
			p.activeQ = append(p.activeQ[:i], p.activeQ[i+1:]...)
			break
		}
	}
	delete(p.unschedulablePods, key)
	return nil
}

// AddUnschedulable parks a pod that failed to schedule until
// MoveAllToActiveOrBackoffQueue or an update of the pod moves it back.
func (p *PriorityQueue) AddUnschedulable(pInfo *framework.PodInfo) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	p.unschedulablePods[podKey(pInfo.Pod)] = pInfo
	return nil
}

// MoveAllToActiveOrBackoffQueue moves every unschedulable pod back to activeQ.
func (p *PriorityQueue) MoveAllToActiveOrBackoffQueue(event string) {
	p.lock.Lock()
	defer p.lock.Unlock()
	for key, pInfo := range p.unschedulablePods {
		p.activeQ = append(p.activeQ, pInfo)
		delete(p.unschedulablePods, key)
	}
	p.cond.Broadcast()
}

// Pop blocks until activeQ is not empty and returns its highest-priority pod,
// or nil once the queue is closed.
func (p *PriorityQueue) Pop() *framework.PodInfo {
	p.lock.Lock()
	defer p.lock.Unlock()
	for len(p.activeQ) == 0 {
		if p.closed {
			return nil
		}
		p.cond.Wait()
	}
	best := 0
	for i, pInfo := range p.activeQ {
		if podPriority(pInfo.Pod) > podPriority(p.activeQ[best].Pod) {
			best = i
		}
	}
	pInfo := p.activeQ[best]
	p.activeQ = append(p.activeQ[:best], p.activeQ[best+1:]...)
	pInfo.Attempts++
	return pInfo
}

// Close wakes every Pop and makes them return nil.
func (p *PriorityQueue) Close() {
	p.lock.Lock()
	defer p.lock.Unlock()
	p.closed = true
	p.cond.Broadcast()
}
