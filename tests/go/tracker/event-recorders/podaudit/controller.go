// Package podaudit records Events in the ways controllers and the scheduler do:
// record.EventRecorder Eventf / Event / AnnotatedEventf (core v1 events, as RealPodControl
// and StatefulPodControl) and k8s.io/client-go/tools/events EventRecorder.Eventf
// (events.k8s.io/v1, as the scheduler's fwk.EventRecorder()). A local type with an Eventf
// method that only counts is not a recorder.
package podaudit

import (
	"context"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	v1core "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// eventCounter only counts reasons in memory; its Eventf writes nothing to the API server.
type eventCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (e *eventCounter) Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...interface{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts[reason]++
}

type Controller struct {
	recorder      record.EventRecorder
	eventRecorder events.EventRecorder
	counter       *eventCounter
	podLister     corelisters.PodLister
	queue         workqueue.RateLimitingInterface
}

func NewController(podInformer coreinformers.PodInformer, kubeClient clientset.Interface) *Controller {
	eventBroadcaster := record.NewBroadcaster()
	eventBroadcaster.StartRecordingToSink(&v1core.EventSinkImpl{Interface: kubeClient.CoreV1().Events("")})
	eventBroadcasterAdapter := events.NewEventBroadcasterAdapter(kubeClient)
	c := &Controller{
		recorder:      eventBroadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "pod-audit"}),
		eventRecorder: eventBroadcasterAdapter.NewRecorder("pod-audit"),
		counter:       &eventCounter{counts: map[string]int{}},
		queue:         workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "podaudit"),
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addPod,
	})
	c.podLister = podInformer.Lister()
	return c
}

func (c *Controller) Run(ctx context.Context) {
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	<-ctx.Done()
}

func (c *Controller) addPod(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.sync(key.(string)); err != nil {
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) sync(key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := c.podLister.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	c.countEvent(pod)
	c.recordSynced(pod)
	if pod.Spec.NodeName == "" {
		c.recordUnscheduled(pod)
		return nil
	}
	c.recordAnnotated(pod)
	c.recordScheduled(pod)
	return nil
}

func (c *Controller) countEvent(pod *v1.Pod) {
	c.counter.Eventf(pod, v1.EventTypeNormal, "Seen", "Seen pod %s", pod.Name)
}

func (c *Controller) recordSynced(pod *v1.Pod) {
	c.recorder.Eventf(pod, v1.EventTypeNormal, "Synced", "Pod %s synced", pod.Name)
}

func (c *Controller) recordUnscheduled(pod *v1.Pod) {
	c.recorder.Event(pod, v1.EventTypeWarning, "Unscheduled", "pod has no node")
}

func (c *Controller) recordAnnotated(pod *v1.Pod) {
	annotations := map[string]string{"node": pod.Spec.NodeName}
	c.recorder.AnnotatedEventf(pod, annotations, v1.EventTypeNormal, "Placed", "Placed on %s", pod.Spec.NodeName)
}

func (c *Controller) recordScheduled(pod *v1.Pod) {
	msg := fmt.Sprintf("Successfully assigned %v/%v to %v", pod.Namespace, pod.Name, pod.Spec.NodeName)
	c.eventRecorder.Eventf(pod, nil, v1.EventTypeNormal, "Scheduled", "Binding", msg)
}
