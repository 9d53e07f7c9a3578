// Package scheduler: node handlers write only sched.Cache (AddNode/RemoveNode, no queue write,
// eventhandlers.go:100-120); schedulePod reads the cache through
// sched.Cache.UpdateSnapshot(sched.nodeInfoSnapshot) (schedule_one.go:386) and returns a
// ScheduleResult; scheduleOne reaches schedulePod through the func field sched.SchedulePod
// (scheduler.go:111) and binds the pod to the returned host.
package scheduler

import (
	"context"
	"errors"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	internalcache "example.com/cache-shared-state/scheduler/internal/cache"
	internalqueue "example.com/cache-shared-state/scheduler/internal/queue"
)

var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

type ScheduleResult struct {
	SuggestedHost  string
	EvaluatedNodes int
	FeasibleNodes  int
}

type Scheduler struct {
	Cache           internalcache.Cache
	SchedulingQueue internalqueue.SchedulingQueue
	NextPod         func() (*internalqueue.QueuedPodInfo, error)
	SchedulePod     func(ctx context.Context, pod *v1.Pod) (ScheduleResult, error)

	client           clientset.Interface
	nodeInfoSnapshot *internalcache.Snapshot
	logger           klog.Logger
}

func New(ctx context.Context, client clientset.Interface, informerFactory informers.SharedInformerFactory) (*Scheduler, error) {
	schedulerCache := internalcache.New()
	podQueue := internalqueue.NewPriorityQueue()
	sched := &Scheduler{
		Cache:            schedulerCache,
		SchedulingQueue:  podQueue,
		client:           client,
		nodeInfoSnapshot: internalcache.NewEmptySnapshot(),
		logger:           klog.FromContext(ctx),
	}
	sched.NextPod = podQueue.Pop
	sched.applyDefaultHandlers()
	addAllEventHandlers(sched, informerFactory)
	return sched, nil
}

func (s *Scheduler) applyDefaultHandlers() {
	s.SchedulePod = s.schedulePod
}

func (sched *Scheduler) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, sched.scheduleOne, 0)
	<-ctx.Done()
}

func addAllEventHandlers(sched *Scheduler, informerFactory informers.SharedInformerFactory) {
	informerFactory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: sched.addPodToSchedulingQueue,
	})
	informerFactory.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sched.addNodeToCache,
		DeleteFunc: sched.deleteNodeFromCache,
	})
}

func (sched *Scheduler) addPodToSchedulingQueue(obj interface{}) {
	pod := obj.(*v1.Pod)
	if err := sched.SchedulingQueue.Add(pod); err != nil {
		utilruntime.HandleError(fmt.Errorf("unable to queue %T: %v", obj, err))
	}
}

func (sched *Scheduler) addNodeToCache(obj interface{}) {
	node, ok := obj.(*v1.Node)
	if !ok {
		return
	}
	sched.Cache.AddNode(sched.logger, node)
}

func (sched *Scheduler) deleteNodeFromCache(obj interface{}) {
	var node *v1.Node
	switch t := obj.(type) {
	case *v1.Node:
		node = t
	case cache.DeletedFinalStateUnknown:
		var ok bool
		node, ok = t.Obj.(*v1.Node)
		if !ok {
			return
		}
	default:
		return
	}
	if err := sched.Cache.RemoveNode(sched.logger, node); err != nil {
		sched.logger.Error(err, "Scheduler cache RemoveNode failed")
	}
}

func (sched *Scheduler) scheduleOne(ctx context.Context) {
	podInfo, err := sched.NextPod()
	if err != nil || podInfo == nil || podInfo.Pod == nil {
		return
	}
	pod := podInfo.Pod
	scheduleResult, err := sched.SchedulePod(ctx, pod)
	if err != nil {
		sched.logger.Error(err, "Error scheduling pod", "pod", klog.KObj(pod))
		return
	}
	assumedPod := pod.DeepCopy()
	assumedPod.Spec.NodeName = scheduleResult.SuggestedHost
	if err := sched.bind(ctx, assumedPod, scheduleResult.SuggestedHost); err != nil {
		sched.logger.Error(err, "Failed to bind pod", "pod", klog.KObj(assumedPod))
	}
}

// schedulePod tries to schedule the given pod to one of the nodes in the node list.
func (sched *Scheduler) schedulePod(ctx context.Context, pod *v1.Pod) (result ScheduleResult, err error) {
	if err := sched.Cache.UpdateSnapshot(klog.FromContext(ctx), sched.nodeInfoSnapshot); err != nil {
		return result, err
	}
	nodes := sched.nodeInfoSnapshot.List()
	if len(nodes) == 0 {
		return result, ErrNoNodesAvailable
	}
	feasibleNodes := findNodesThatFitPod(pod, nodes)
	if len(feasibleNodes) == 0 {
		return result, fmt.Errorf("0/%d nodes are available", len(nodes))
	}
	return ScheduleResult{
		SuggestedHost:  feasibleNodes[0].Node().Name,
		EvaluatedNodes: len(nodes),
		FeasibleNodes:  len(feasibleNodes),
	}, nil
}

func findNodesThatFitPod(pod *v1.Pod, nodes []*internalcache.NodeInfo) []*internalcache.NodeInfo {
	var feasible []*internalcache.NodeInfo
	for _, n := range nodes {
		if n.Node() != nil && !n.Node().Spec.Unschedulable && len(n.Pods) < 110 {
			feasible = append(feasible, n)
		}
	}
	return feasible
}

func (sched *Scheduler) bind(ctx context.Context, assumed *v1.Pod, targetNode string) error {
	binding := &v1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: assumed.Namespace, Name: assumed.Name, UID: assumed.UID},
		Target:     v1.ObjectReference{Kind: "Node", Name: targetNode},
	}
	return sched.client.CoreV1().Pods(binding.Namespace).Bind(ctx, binding, metav1.CreateOptions{})
}
