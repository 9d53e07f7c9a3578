package framework

import (
	"fmt"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// PodInfo is a pod waiting in the scheduling queue.
type PodInfo struct {
	Pod *v1.Pod
	// Attempts counts how often the pod was popped for scheduling.
	Attempts int
}

// NodeInfo is a node with the pods the cache has placed on it.
type NodeInfo struct {
	Node *v1.Node
	Pods []*v1.Pod
}

// FitError says why a pod fits on no node. Its message carries what the
// scheduler read from its cache: it ends up in the FailedScheduling event
// and in the PodScheduled condition.
type FitError struct {
	Pod         *v1.Pod
	NumAllNodes int
	// Diagnosis maps a node name to the reason the pod does not fit there.
	Diagnosis map[string]string
}

func (f *FitError) Error() string {
	reasons := make([]string, 0, len(f.Diagnosis))
	for node, reason := range f.Diagnosis {
		reasons = append(reasons, fmt.Sprintf("%s: %s", node, reason))
	}
	sort.Strings(reasons)
	return fmt.Sprintf("0/%d nodes are available for pod %s/%s: %s",
		f.NumAllNodes, f.Pod.Namespace, f.Pod.Name, strings.Join(reasons, ", "))
}
