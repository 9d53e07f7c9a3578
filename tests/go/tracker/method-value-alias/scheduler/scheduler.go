// Package scheduler mimics pkg/scheduler/scheduler.go, eventhandlers.go and schedule_one.go:
// podQueue is stored in the SchedulingQueue field (interface) AND its method value Pop in the
// NextPod func field, so handler writes through sched.SchedulingQueue reach sched.NextPod().
package scheduler

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	internalqueue "example.com/method-value-alias/scheduler/internal/queue"
)

type Scheduler struct {
	// SchedulingQueue holds pods to be scheduled.
	SchedulingQueue internalqueue.SchedulingQueue
	// NextPod should be a function that blocks until the next pod is available.
	NextPod func() (*internalqueue.QueuedPodInfo, error)

	client     clientset.Interface
	nodeLister corelisters.NodeLister
	logger     klog.Logger
}

func New(ctx context.Context, client clientset.Interface, informerFactory informers.SharedInformerFactory) (*Scheduler, error) {
	logger := klog.FromContext(ctx)
	podQueue := internalqueue.NewPriorityQueue()
	sched := &Scheduler{
		SchedulingQueue: podQueue,
		client:          client,
		nodeLister:      informerFactory.Core().V1().Nodes().Lister(),
		logger:          logger,
	}
	sched.NextPod = podQueue.Pop

	addAllEventHandlers(sched, informerFactory)
	return sched, nil
}

func (sched *Scheduler) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, sched.scheduleOne, 0)
	<-ctx.Done()
	sched.SchedulingQueue.Close()
}

func addAllEventHandlers(sched *Scheduler, informerFactory informers.SharedInformerFactory) {
	informerFactory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sched.addPodToSchedulingQueue,
		UpdateFunc: sched.updatePodInSchedulingQueue,
		DeleteFunc: sched.deletePodFromSchedulingQueue,
	})
}

func (sched *Scheduler) addPodToSchedulingQueue(obj interface{}) {
	pod := obj.(*v1.Pod)
	if err := sched.SchedulingQueue.Add(sched.logger, pod); err != nil {
		utilruntime.HandleError(fmt.Errorf("unable to queue %T: %v", obj, err))
	}
}

func (sched *Scheduler) updatePodInSchedulingQueue(oldObj, newObj interface{}) {
	oldPod, newPod := oldObj.(*v1.Pod), newObj.(*v1.Pod)
	if oldPod.ResourceVersion == newPod.ResourceVersion {
		return
	}
	if err := sched.SchedulingQueue.Update(sched.logger, oldPod, newPod); err != nil {
		utilruntime.HandleError(fmt.Errorf("unable to update %T: %v", newObj, err))
	}
}

func (sched *Scheduler) deletePodFromSchedulingQueue(obj interface{}) {
	var pod *v1.Pod
	switch t := obj.(type) {
	case *v1.Pod:
		pod = t
	case cache.DeletedFinalStateUnknown:
		var ok bool
		pod, ok = t.Obj.(*v1.Pod)
		if !ok {
			return
		}
	default:
		return
	}
	if err := sched.SchedulingQueue.Delete(pod); err != nil {
		utilruntime.HandleError(fmt.Errorf("unable to dequeue %T: %v", obj, err))
	}
}

// scheduleOne does the entire scheduling workflow for a single pod.
func (sched *Scheduler) scheduleOne(ctx context.Context) {
	podInfo, err := sched.NextPod()
	if err != nil || podInfo == nil || podInfo.Pod == nil {
		return
	}
	pod := podInfo.Pod
	host, err := sched.selectHost(pod)
	if err != nil {
		sched.logger.Error(err, "Unable to schedule pod", "pod", klog.KObj(pod))
		return
	}
	assumedPod := pod.DeepCopy()
	assumedPod.Spec.NodeName = host
	go func() {
		if err := sched.bind(ctx, assumedPod, host); err != nil {
			sched.logger.Error(err, "Failed to bind pod", "pod", klog.KObj(assumedPod))
		}
	}()
}

func (sched *Scheduler) selectHost(pod *v1.Pod) (string, error) {
	nodes, err := sched.nodeLister.List(labels.Everything())
	if err != nil {
		return "", err
	}
	for _, node := range nodes {
		if !node.Spec.Unschedulable {
			return node.Name, nil
		}
	}
	return "", fmt.Errorf("no node available for pod %s/%s", pod.Namespace, pod.Name)
}

func (sched *Scheduler) bind(ctx context.Context, assumed *v1.Pod, targetNode string) error {
	binding := &v1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: assumed.Namespace, Name: assumed.Name, UID: assumed.UID},
		Target:     v1.ObjectReference{Kind: "Node", Name: targetNode},
	}
	return sched.client.CoreV1().Pods(binding.Namespace).Bind(ctx, binding, metav1.CreateOptions{})
}
