// Package util holds the scheduler's API write helpers (k8s: pkg/scheduler/util/utils.go).
package util

import (
	"context"
	"encoding/json"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
)

// PatchPodStatus sets condition on the pod's status with a strategic merge
// patch of the status sub-resource: patch pods/status.
func PatchPodStatus(ctx context.Context, cs kubernetes.Interface, pod *v1.Pod, condition *v1.PodCondition) error {
	oldData, err := json.Marshal(pod)
	if err != nil {
		return err
	}
	newPod := pod.DeepCopy()
	replaced := false
	for i := range newPod.Status.Conditions {
		if newPod.Status.Conditions[i].Type == condition.Type {
			newPod.Status.Conditions[i] = *condition
			replaced = true
		}
	}
	if !replaced {
		newPod.Status.Conditions = append(newPod.Status.Conditions, *condition)
	}
	newData, err := json.Marshal(newPod)
	if err != nil {
		return err
	}
	patchBytes, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, &v1.Pod{})
	if err != nil {
		return fmt.Errorf("failed to create merge patch for pod %q/%q: %v", pod.Namespace, pod.Name, err)
	}
	_, err = cs.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patchBytes, metav1.PatchOptions{}, "status")
	return err
}
