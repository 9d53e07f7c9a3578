package cache

import (
	"example.com/kubedemo/pkg/scheduler/framework"
)

// Snapshot is the copy of the cache that one scheduling attempt works on.
type Snapshot struct {
	nodeInfoList []*framework.NodeInfo
}

// NewEmptySnapshot returns a snapshot with no nodes.
func NewEmptySnapshot() *Snapshot {
	return &Snapshot{}
}

// NodeInfos returns the nodes of the snapshot.
func (s *Snapshot) NodeInfos() []*framework.NodeInfo {
	return s.nodeInfoList
}
