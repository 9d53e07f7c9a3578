// Package scheduler: scheduleOne pops a pod and runs the framework's PostFilter plugins
// (preemption) when the pod has no nominated node, or its Bind plugins in a goroutine; which
// plugin types run is decided by plugins.NewInTreeRegistry and the enabled list.
package scheduler

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"example.com/framework-plugins/scheduler/framework"
	frameworkplugins "example.com/framework-plugins/scheduler/framework/plugins"
	frameworkruntime "example.com/framework-plugins/scheduler/framework/runtime"
)

type Scheduler struct {
	SchedulingQueue *PriorityQueue
	Framework       framework.Framework
	logger          klog.Logger
}

func New(ctx context.Context, client clientset.Interface, informerFactory informers.SharedInformerFactory) (*Scheduler, error) {
	registry := frameworkplugins.NewInTreeRegistry()
	fwk, err := frameworkruntime.NewFramework(ctx, registry, []string{"DefaultPreemption", "DefaultBinder"}, client, informerFactory)
	if err != nil {
		return nil, err
	}
	sched := &Scheduler{
		SchedulingQueue: NewPriorityQueue(),
		Framework:       fwk,
		logger:          klog.FromContext(ctx),
	}
	informerFactory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sched.addPodToSchedulingQueue,
		UpdateFunc: sched.updatePodInSchedulingQueue,
	})
	return sched, nil
}

func (sched *Scheduler) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, sched.scheduleOne, 0)
	<-ctx.Done()
}

func (sched *Scheduler) addPodToSchedulingQueue(obj interface{}) {
	sched.SchedulingQueue.Add(obj.(*v1.Pod))
}

func (sched *Scheduler) updatePodInSchedulingQueue(oldObj, newObj interface{}) {
	oldPod, newPod := oldObj.(*v1.Pod), newObj.(*v1.Pod)
	if oldPod.ResourceVersion == newPod.ResourceVersion {
		return
	}
	sched.SchedulingQueue.Add(newPod)
}

func (sched *Scheduler) scheduleOne(ctx context.Context) {
	pod := sched.SchedulingQueue.Pop()
	if pod == nil {
		return
	}
	fwk := sched.Framework
	nodeName := pod.Status.NominatedNodeName
	if nodeName == "" {
		nominatedNode, err := fwk.RunPostFilterPlugins(ctx, pod)
		if err != nil {
			sched.logger.Error(err, "Preemption failed", "pod", klog.KObj(pod))
			return
		}
		sched.logger.V(2).Info("Preemption nominated a node", "pod", klog.KObj(pod), "node", nominatedNode)
		return
	}
	go func() {
		if err := fwk.RunBindPlugins(ctx, pod, nodeName); err != nil {
			sched.logger.Error(err, "Binding failed", "pod", klog.KObj(pod))
		}
	}()
}
