// Package scheduler mimics the NoExecute taint manager's eviction queue
// (pkg/controller/nodelifecycle/scheduler/taint_manager.go:105-142, 197; timed_workers.go:63-103,
// v1.28): the TimedWorkerQueue's func field workFunc holds the closure that the factory
// deletePodHandler(c, tm.emitPodDeletionEvent) returns, not the method value passed to it.
// Here the taint manager registers its own pod handler, as the same code does in
// pkg/controller/tainteviction from v1.29.
package scheduler

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

const retries = 5

// NoExecuteTaintManager evicts pods that do not tolerate their node's NoExecute taints.
type NoExecuteTaintManager struct {
	client             clientset.Interface
	recorder           record.EventRecorder
	podLister          corelisters.PodLister
	taintEvictionQueue *TimedWorkerQueue
	podUpdateQueue     workqueue.Interface
}

func deletePodHandler(c clientset.Interface, emitEventFunc func(types.NamespacedName)) func(ctx context.Context, args *WorkArgs) error {
	return func(ctx context.Context, args *WorkArgs) error {
		ns := args.NamespacedName.Namespace
		name := args.NamespacedName.Name
		if emitEventFunc != nil {
			emitEventFunc(args.NamespacedName)
		}
		var err error
		for i := 0; i < retries; i++ {
			err = addConditionAndDeletePod(ctx, c, name, ns)
			if err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return err
	}
}

func addConditionAndDeletePod(ctx context.Context, c clientset.Interface, name, ns string) (err error) {
	pod, err := c.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	podApply := corev1apply.Pod(pod.Name, pod.Namespace).WithStatus(corev1apply.PodStatus())
	if _, err := c.CoreV1().Pods(pod.Namespace).ApplyStatus(ctx, podApply, metav1.ApplyOptions{FieldManager: "taint-manager", Force: true}); err != nil {
		return err
	}
	return c.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
}

// NewNoExecuteTaintManager builds the taint manager and registers its pod handler.
func NewNoExecuteTaintManager(ctx context.Context, c clientset.Interface, podInformer coreinformers.PodInformer) *NoExecuteTaintManager {
	eventBroadcaster := record.NewBroadcaster()
	tm := &NoExecuteTaintManager{
		client:         c,
		recorder:       eventBroadcaster.NewRecorder(nil, v1.EventSource{Component: "taint-controller"}),
		podLister:      podInformer.Lister(),
		podUpdateQueue: workqueue.NewNamed("noexec_taint_pod"),
	}
	tm.taintEvictionQueue = CreateWorkerQueue(deletePodHandler(c, tm.emitPodDeletionEvent))
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			tm.PodUpdated(obj.(*v1.Pod))
		},
	})
	return tm
}

// Run starts the pod worker.
func (tc *NoExecuteTaintManager) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, tc.worker, time.Second)
	<-ctx.Done()
}

// PodUpdated enqueues the pod.
func (tc *NoExecuteTaintManager) PodUpdated(pod *v1.Pod) {
	tc.podUpdateQueue.Add(types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name})
}

func (tc *NoExecuteTaintManager) worker(ctx context.Context) {
	item, shutdown := tc.podUpdateQueue.Get()
	if shutdown {
		return
	}
	defer tc.podUpdateQueue.Done(item)
	tc.handlePodUpdate(ctx, item.(types.NamespacedName))
}

func (tc *NoExecuteTaintManager) handlePodUpdate(ctx context.Context, podName types.NamespacedName) {
	pod, err := tc.podLister.Pods(podName.Namespace).Get(podName.Name)
	if err != nil {
		return
	}
	tc.taintEvictionQueue.AddWork(ctx, NewWorkArgs(pod.Name, pod.Namespace), time.Now(), time.Now())
}

func (tc *NoExecuteTaintManager) emitPodDeletionEvent(nsName types.NamespacedName) {
	ref := &v1.ObjectReference{Kind: "Pod", Name: nsName.Name, Namespace: nsName.Namespace}
	tc.recorder.Eventf(ref, v1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s", nsName.String())
}
