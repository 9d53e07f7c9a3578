package replicaset

import (
	"context"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"
)

// updateReplicaSetStatus writes newStatus: update apps/replicasets/status.
func updateReplicaSetStatus(ctx context.Context, c clientset.Interface, rs *apps.ReplicaSet, newStatus apps.ReplicaSetStatus) (*apps.ReplicaSet, error) {
	if rs.Status.Replicas == newStatus.Replicas &&
		rs.Status.ReadyReplicas == newStatus.ReadyReplicas &&
		rs.Generation == rs.Status.ObservedGeneration {
		return rs, nil
	}
	rsCopy := rs.DeepCopy()
	newStatus.ObservedGeneration = rs.Generation
	rsCopy.Status = newStatus
	return c.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rsCopy, metav1.UpdateOptions{})
}

// calculateStatus counts the pods of rs.
func calculateStatus(rs *apps.ReplicaSet, filteredPods []*v1.Pod, manageReplicasErr error) apps.ReplicaSetStatus {
	newStatus := rs.Status
	readyReplicas := 0
	for _, pod := range filteredPods {
		for _, c := range pod.Status.Conditions {
			if c.Type == v1.PodReady && c.Status == v1.ConditionTrue {
				readyReplicas++
			}
		}
	}
	newStatus.Replicas = int32(len(filteredPods))
	newStatus.ReadyReplicas = int32(readyReplicas)
	return newStatus
}
