// Package queue mimics pkg/scheduler/internal/queue/scheduling_queue.go: an in-tree
// priority queue behind the SchedulingQueue interface.
package queue

import (
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

const queueClosed = "scheduling queue is closed"

// QueuedPodInfo is a Pod wrapper with additional information related to the pod's status.
type QueuedPodInfo struct {
	Pod       *v1.Pod
	Timestamp time.Time
	Attempts  int
}

// SchedulingQueue is an interface for a queue to store pods waiting to be scheduled.
type SchedulingQueue interface {
	Add(logger klog.Logger, pod *v1.Pod) error
	Update(logger klog.Logger, oldPod, newPod *v1.Pod) error
	Delete(pod *v1.Pod) error
	Pop() (*QueuedPodInfo, error)
	Close()
}

// PriorityQueue implements a scheduling queue.
type PriorityQueue struct {
	lock    sync.RWMutex
	cond    sync.Cond
	activeQ []*QueuedPodInfo
	closed  bool
}

var _ SchedulingQueue = &PriorityQueue{}

func NewPriorityQueue() *PriorityQueue {
	pq := &PriorityQueue{}
	pq.cond.L = &pq.lock
	return pq
}

func (p *PriorityQueue) Add(logger klog.Logger, pod *v1.Pod) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	pInfo := &QueuedPodInfo{Pod: pod, Timestamp: time.Now()}
	p.activeQ = append(p.activeQ, pInfo)
	logger.V(5).Info("Pod moved to an internal scheduling queue", "pod", klog.KObj(pod))
	p.cond.Broadcast()
	return nil
}

func (p *PriorityQueue) Update(logger klog.Logger, oldPod, newPod *v1.Pod) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	for i, pInfo := range p.activeQ {
		if pInfo.Pod.UID == newPod.UID {
			p.activeQ[i] = &QueuedPodInfo{Pod: newPod, Timestamp: pInfo.Timestamp, Attempts: pInfo.Attempts}
			return nil
		}
	}
	p.activeQ = append(p.activeQ, &QueuedPodInfo{Pod: newPod, Timestamp: time.Now()})
	p.cond.Broadcast()
	return nil
}

func (p *PriorityQueue) Delete(pod *v1.Pod) error {
	p.lock.Lock()
	defer p.lock.Unlock()
	for i, pInfo := range p.activeQ {
		if pInfo.Pod.UID == pod.UID {
			p.activeQ = append(p.activeQ[:i], p.activeQ[i+1:]...)
			return nil
		}
	}
	return nil
}

// Pop removes the head of the active queue and returns it. It blocks if the
// activeQ is empty and waits until a new item is added to the queue.
func (p *PriorityQueue) Pop() (*QueuedPodInfo, error) {
	p.lock.Lock()
	defer p.lock.Unlock()
	for len(p.activeQ) == 0 {
		if p.closed {
			return nil, fmt.Errorf(queueClosed)
		}
		p.cond.Wait()
	}
	pInfo := p.activeQ[0]
	p.activeQ = p.activeQ[1:]
	pInfo.Attempts++
	return pInfo, nil
}

func (p *PriorityQueue) Close() {
	p.lock.Lock()
	defer p.lock.Unlock()
	p.closed = true
	p.cond.Broadcast()
}
