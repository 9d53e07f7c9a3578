package deployment

import (
	"context"
	"fmt"
	"hash/fnv"
	"reflect"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"example.com/controllerkit/keys"
)

// syncDeployment makes sure the ReplicaSet of the current template exists and
// writes the deployment's status.
func (dc *DeploymentController) syncDeployment(ctx context.Context, key string) error {
	namespace, name, err := keys.SplitKey(key)
	if err != nil {
		return err
	}
	deployment, err := dc.dLister.Deployments(namespace).Get(name)
	if errors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	d := deployment.DeepCopy()

	rsList, err := dc.getReplicaSetsForDeployment(d)
	if err != nil {
		return err
	}
	newRS, err := dc.getNewReplicaSet(ctx, d, rsList)
	if err != nil {
		return err
	}
	return dc.syncDeploymentStatus(ctx, rsList, newRS, d)
}

// getReplicaSetsForDeployment lists, from the lister, the ReplicaSets d owns.
func (dc *DeploymentController) getReplicaSetsForDeployment(d *apps.Deployment) ([]*apps.ReplicaSet, error) {
	all, err := dc.rsLister.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var owned []*apps.ReplicaSet
	for _, rs := range all {
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == d.UID {
			owned = append(owned, rs)
		}
	}
	return owned, nil
}

// getNewReplicaSet returns the ReplicaSet of d's current template, creating it
// if it does not exist: create apps/replicasets, and an event.
func (dc *DeploymentController) getNewReplicaSet(ctx context.Context, d *apps.Deployment, rsList []*apps.ReplicaSet) (*apps.ReplicaSet, error) {
	podTemplateHash := computeHash(&d.Spec.Template)
	for _, rs := range rsList {
		if rs.Labels[apps.DefaultDeploymentUniqueLabelKey] == podTemplateHash {
			return rs, nil
		}
	}

	newRSTemplate := *d.Spec.Template.DeepCopy()
	if newRSTemplate.Labels == nil {
		newRSTemplate.Labels = map[string]string{}
	}
	newRSTemplate.Labels[apps.DefaultDeploymentUniqueLabelKey] = podTemplateHash
	newRS := apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            d.Name + "-" + podTemplateHash,
			Namespace:       d.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
			Labels:          newRSTemplate.Labels,
		},
		Spec: apps.ReplicaSetSpec{
			Replicas: d.Spec.Replicas,
			Selector: d.Spec.Selector,
			Template: newRSTemplate,
		},
	}
	createdRS, err := dc.client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, &newRS, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	dc.eventRecorder.Eventf(d, v1.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s to %d", createdRS.Name, *d.Spec.Replicas)
	return createdRS, nil
}

// syncDeploymentStatus writes the replica counts of d: update apps/deployments/status.
func (dc *DeploymentController) syncDeploymentStatus(ctx context.Context, allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet, d *apps.Deployment) error {
	newStatus := calculateStatus(allRSs, newRS, d)
	if reflect.DeepEqual(d.Status, newStatus) {
		return nil
	}
	newDeployment := d
	newDeployment.Status = newStatus
	_, err := dc.client.AppsV1().Deployments(newDeployment.Namespace).UpdateStatus(ctx, newDeployment, metav1.UpdateOptions{})
	return err
}

func calculateStatus(allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet, d *apps.Deployment) apps.DeploymentStatus {
	status := apps.DeploymentStatus{ObservedGeneration: d.Generation}
	for _, rs := range allRSs {
		status.Replicas += rs.Status.Replicas
		status.ReadyReplicas += rs.Status.ReadyReplicas
	}
	if newRS != nil {
		status.UpdatedReplicas = newRS.Status.Replicas
	}
	return status
}

// computeHash names the ReplicaSet of one pod template.
func computeHash(template *v1.PodTemplateSpec) string {
	hasher := fnv.New32a()
	fmt.Fprintf(hasher, "%#v", *template)
	return fmt.Sprintf("%x", hasher.Sum32())
}
