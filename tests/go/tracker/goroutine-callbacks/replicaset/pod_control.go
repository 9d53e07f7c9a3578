package replicaset

import (
	"context"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"
)

// realPodControl creates pods for a ReplicaSet (a concrete type, no interface).
type realPodControl struct {
	kubeClient clientset.Interface
}

func (r realPodControl) CreatePods(ctx context.Context, namespace string, template *v1.PodTemplateSpec, owner *apps.ReplicaSet) error {
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    owner.Name + "-",
			Labels:          template.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, controllerKind)},
		},
		Spec: *template.Spec.DeepCopy(),
	}
	_, err := r.kubeClient.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	return err
}
