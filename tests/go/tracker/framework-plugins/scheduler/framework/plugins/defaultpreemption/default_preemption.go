// Package defaultpreemption is a cut-down pkg/scheduler/framework/plugins/defaultpreemption
// plus framework/preemption.prepareCandidate: victims get a DisruptionTarget condition
// through ApplyStatus and are then deleted.
package defaultpreemption

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/klog/v2"

	"example.com/framework-plugins/scheduler/framework"
)

const Name = "DefaultPreemption"

type DefaultPreemption struct {
	fh        framework.Handle
	podLister corelisters.PodLister
}

var _ framework.PostFilterPlugin = &DefaultPreemption{}

func New(_ runtime.Object, fh framework.Handle) (framework.Plugin, error) {
	pl := DefaultPreemption{
		fh:        fh,
		podLister: fh.SharedInformerFactory().Core().V1().Pods().Lister(),
	}
	return &pl, nil
}

func (pl *DefaultPreemption) Name() string {
	return Name
}

// PostFilter selects lower-priority victims and preempts them.
func (pl *DefaultPreemption) PostFilter(ctx context.Context, pod *v1.Pod) (string, error) {
	victims, nodeName, err := pl.selectVictims(pod)
	if err != nil {
		return "", err
	}
	if len(victims) == 0 {
		return "", fmt.Errorf("no victims for pod %s/%s", pod.Namespace, pod.Name)
	}
	if err := pl.prepareCandidate(ctx, victims, pod); err != nil {
		return "", err
	}
	return nodeName, nil
}

func podPriority(pod *v1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

func (pl *DefaultPreemption) selectVictims(pod *v1.Pod) ([]*v1.Pod, string, error) {
	pods, err := pl.podLister.Pods(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil, "", err
	}
	var victims []*v1.Pod
	nodeName := ""
	for _, p := range pods {
		if p.Spec.NodeName != "" && podPriority(p) < podPriority(pod) {
			victims = append(victims, p)
			nodeName = p.Spec.NodeName
		}
	}
	return victims, nodeName, nil
}

func (pl *DefaultPreemption) prepareCandidate(ctx context.Context, victims []*v1.Pod, pod *v1.Pod) error {
	cs := pl.fh.ClientSet()
	for _, victim := range victims {
		victimPodApply := corev1apply.Pod(victim.Name, victim.Namespace).WithStatus(corev1apply.PodStatus())
		victimPodApply.Status.WithConditions(corev1apply.PodCondition().
			WithType(v1.DisruptionTarget).
			WithStatus(v1.ConditionTrue).
			WithReason(v1.PodReasonPreemptionByScheduler).
			WithMessage(fmt.Sprintf("%s: preempting to accommodate a higher priority pod", pod.Spec.SchedulerName)).
			WithLastTransitionTime(metav1.Now()),
		)
		if _, err := cs.CoreV1().Pods(victim.Namespace).ApplyStatus(ctx, victimPodApply, metav1.ApplyOptions{FieldManager: "kube-scheduler", Force: true}); err != nil {
			klog.FromContext(ctx).Error(err, "Could not add DisruptionTarget condition due to preemption", "pod", klog.KObj(victim))
			return err
		}
		if err := cs.CoreV1().Pods(victim.Namespace).Delete(ctx, victim.Name, metav1.DeleteOptions{}); err != nil {
			return err
		}
	}
	return nil
}
