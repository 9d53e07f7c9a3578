package scheduler

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"example.com/kubedemo/pkg/scheduler/framework"
	"example.com/kubedemo/pkg/scheduler/util"
)

// scheduleOne schedules the next pod of the queue (k8s: schedule_one.go).
func (sched *Scheduler) scheduleOne(ctx context.Context) {
	// NextPod is podQueue.Pop: this is where the queue handlers' writes are read.
	podInfo := sched.NextPod()
	if podInfo == nil || podInfo.Pod == nil {
		return
	}
	pod := podInfo.Pod
	fwk, err := sched.frameworkForPod(pod)
	if err != nil {
		klog.ErrorS(err, "Error occurred")
		return
	}

	result, err := sched.SchedulePod(ctx, fwk, pod)
	if err != nil {
		sched.FailureHandler(ctx, fwk, podInfo, err)
		return
	}

	// Bind asynchronously, like the real binding cycle.
	go func() {
		if err := sched.bind(ctx, fwk, pod, result.SuggestedHost); err != nil {
			sched.FailureHandler(ctx, fwk, podInfo, err)
		}
	}()
}

func (sched *Scheduler) frameworkForPod(pod *v1.Pod) (*framework.Framework, error) {
	fwk, ok := sched.Profiles[pod.Spec.SchedulerName]
	if !ok {
		return nil, fmt.Errorf("profile not found for scheduler name %q", pod.Spec.SchedulerName)
	}
	return fwk, nil
}

// schedulePod picks a node for pod from a fresh snapshot of the cache: this is
// where the cache handlers' writes are read.
func (sched *Scheduler) schedulePod(ctx context.Context, fwk *framework.Framework, pod *v1.Pod) (ScheduleResult, error) {
	if err := sched.Cache.UpdateSnapshot(sched.nodeInfoSnapshot); err != nil {
		return ScheduleResult{}, err
	}
	nodes := sched.nodeInfoSnapshot.NodeInfos()
	if len(nodes) == 0 {
		return ScheduleResult{}, ErrNoNodesAvailable
	}
	feasible, diagnosis := findNodesThatFit(pod, nodes)
	if len(feasible) == 0 {
		return ScheduleResult{}, &framework.FitError{Pod: pod, NumAllNodes: len(nodes), Diagnosis: diagnosis}
	}
	return ScheduleResult{SuggestedHost: feasible[0].Node.Name, FeasibleNodes: len(feasible)}, nil
}

// findNodesThatFit keeps the schedulable nodes that still have room for a pod.
func findNodesThatFit(pod *v1.Pod, nodes []*framework.NodeInfo) ([]*framework.NodeInfo, map[string]string) {
	var feasible []*framework.NodeInfo
	diagnosis := map[string]string{}
	for _, n := range nodes {
		switch {
		case n.Node.Spec.Unschedulable:
			diagnosis[n.Node.Name] = "node is unschedulable"
		case int64(len(n.Pods)) >= n.Node.Status.Allocatable.Pods().Value():
			diagnosis[n.Node.Name] = "too many pods"
		default:
			feasible = append(feasible, n)
		}
	}
	return feasible, diagnosis
}

// bind runs the bind plugins (DefaultBinder.Bind: create pods/binding).
func (sched *Scheduler) bind(ctx context.Context, fwk *framework.Framework, pod *v1.Pod, nodeName string) error {
	return fwk.RunBindPlugins(ctx, pod, nodeName)
}

// handleSchedulingFailure parks the pod, records a FailedScheduling event
// (events.k8s.io) and sets PodScheduled=False on the pod (patch pods/status).
func (sched *Scheduler) handleSchedulingFailure(ctx context.Context, fwk *framework.Framework, podInfo *framework.PodInfo, err error) {
	pod := podInfo.Pod
	if qErr := sched.SchedulingQueue.AddUnschedulable(podInfo); qErr != nil {
		klog.ErrorS(qErr, "Error occurred")
	}

	msg := err.Error()
	fwk.EventRecorder().Eventf(pod, nil, v1.EventTypeWarning, "FailedScheduling", "Scheduling", msg)
	condition := &v1.PodCondition{
		Type:    v1.PodScheduled,
		Status:  v1.ConditionFalse,
		Reason:  v1.PodReasonUnschedulable,
		Message: msg,
	}
	if pErr := util.PatchPodStatus(ctx, sched.client, pod, condition); pErr != nil {
		klog.ErrorS(pErr, "Error updating pod", "pod", klog.KObj(pod))
	}
}
