// Package cache mimics pkg/scheduler/internal/cache: the scheduler cache of nodes behind the
// Cache interface, and the Snapshot it copies into at the start of every scheduling cycle.
package cache

import (
	"fmt"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// NodeInfo is node level aggregated information.
type NodeInfo struct {
	node *v1.Node
	Pods []*v1.Pod
}

func (n *NodeInfo) Node() *v1.Node {
	return n.node
}

func (n *NodeInfo) Clone() *NodeInfo {
	return &NodeInfo{node: n.node, Pods: append([]*v1.Pod(nil), n.Pods...)}
}

// Snapshot is a snapshot of cache NodeInfo.
type Snapshot struct {
	nodeInfoMap  map[string]*NodeInfo
	nodeInfoList []*NodeInfo
}

func NewEmptySnapshot() *Snapshot {
	return &Snapshot{nodeInfoMap: make(map[string]*NodeInfo)}
}

// List returns the list of NodeInfos in the snapshot.
func (s *Snapshot) List() []*NodeInfo {
	return s.nodeInfoList
}

// Cache collects nodes' information.
type Cache interface {
	AddNode(logger klog.Logger, node *v1.Node)
	RemoveNode(logger klog.Logger, node *v1.Node) error
	UpdateSnapshot(logger klog.Logger, nodeSnapshot *Snapshot) error
}

type cacheImpl struct {
	mu    sync.RWMutex
	nodes map[string]*NodeInfo
}

var _ Cache = &cacheImpl{}

func New() Cache {
	return &cacheImpl{nodes: make(map[string]*NodeInfo)}
}

func (cache *cacheImpl) AddNode(logger klog.Logger, node *v1.Node) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	n, ok := cache.nodes[node.Name]
	if !ok {
		n = &NodeInfo{}
		cache.nodes[node.Name] = n
	}
	n.node = node
	logger.V(5).Info("Added node to cache", "node", klog.KObj(node))
}

func (cache *cacheImpl) RemoveNode(logger klog.Logger, node *v1.Node) error {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if _, ok := cache.nodes[node.Name]; !ok {
		return fmt.Errorf("node %v is not found", node.Name)
	}
	delete(cache.nodes, node.Name)
	return nil
}

// UpdateSnapshot takes a snapshot of cached NodeInfo map.
func (cache *cacheImpl) UpdateSnapshot(logger klog.Logger, nodeSnapshot *Snapshot) error {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	nodeSnapshot.nodeInfoMap = make(map[string]*NodeInfo, len(cache.nodes))
	nodeSnapshot.nodeInfoList = make([]*NodeInfo, 0, len(cache.nodes))
	for name, n := range cache.nodes {
		clone := n.Clone()
		nodeSnapshot.nodeInfoMap[name] = clone
		nodeSnapshot.nodeInfoList = append(nodeSnapshot.nodeInfoList, clone)
	}
	return nil
}
