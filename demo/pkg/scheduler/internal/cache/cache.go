// Package cache is the scheduler's view of pods and nodes
// (k8s: pkg/scheduler/internal/cache/cache.go).
package cache

import (
	"fmt"
	"sort"
	"sync"

	v1 "k8s.io/api/core/v1"

	"example.com/kubedemo/pkg/scheduler/framework"
)

// Cache is written by the scheduler's cache event handlers and read, through
// UpdateSnapshot, at the start of every scheduling attempt.
type Cache interface {
	AddPod(pod *v1.Pod) error
	UpdatePod(oldPod, newPod *v1.Pod) error
	RemovePod(pod *v1.Pod) error
	AddNode(node *v1.Node)
	UpdateNode(oldNode, newNode *v1.Node)
	RemoveNode(node *v1.Node) error
	// UpdateSnapshot copies the current nodes, with their pods, into nodeSnapshot.
	UpdateSnapshot(nodeSnapshot *Snapshot) error
}

type cacheImpl struct {
	mu    sync.RWMutex
	nodes map[string]*v1.Node
	pods  map[string]*v1.Pod
}

var _ Cache = &cacheImpl{}

// New returns an empty cache.
func New() Cache {
	return &cacheImpl{
		nodes: map[string]*v1.Node{},
		pods:  map[string]*v1.Pod{},
	}
}

func key(pod *v1.Pod) string {
	return pod.Namespace + "/" + pod.Name
}

func (cache *cacheImpl) AddPod(pod *v1.Pod) error {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	cache.pods[key(pod)] = pod
	return nil
}

func (cache *cacheImpl) UpdatePod(oldPod, newPod *v1.Pod) error {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if _, ok := cache.pods[key(oldPod)]; !ok {
		return fmt.Errorf("pod %v is not in the cache, so can't be updated", key(oldPod))
	}
	cache.pods[key(newPod)] = newPod
	return nil
}

func (cache *cacheImpl) RemovePod(pod *v1.Pod) error {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	delete(cache.pods, key(pod))
	return nil
}

func (cache *cacheImpl) AddNode(node *v1.Node) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	cache.nodes[node.Name] = node
}

func (cache *cacheImpl) UpdateNode(oldNode, newNode *v1.Node) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	cache.nodes[newNode.Name] = newNode
}

func (cache *cacheImpl) RemoveNode(node *v1.Node) error {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if _, ok := cache.nodes[node.Name]; !ok {
		return fmt.Errorf("node %v is not found", node.Name)
	}
	delete(cache.nodes, node.Name)
	return nil
}

func (cache *cacheImpl) UpdateSnapshot(nodeSnapshot *Snapshot) error {
	cache.mu.RLock()
	defer cache.mu.RUnlock()
	infos := make([]*framework.NodeInfo, 0, len(cache.nodes))
	for name, node := range cache.nodes {
		info := &framework.NodeInfo{Node: node}
		for _, pod := range cache.pods {
			if pod.Spec.NodeName == name {
				info.Pods = append(info.Pods, pod)
			}
		}
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Node.Name < infos[j].Node.Name })
	nodeSnapshot.nodeInfoList = infos
	return nil
}
