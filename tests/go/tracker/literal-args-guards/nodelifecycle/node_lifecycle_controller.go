// Package nodelifecycle mimics pkg/controller/nodelifecycle/node_lifecycle_controller.go (v1.28):
// the delete handler calls nc.podUpdated(pod, nil) (384), and podUpdated returns at once when
// its second argument is nil (1085) before it adds to nc.podUpdateQueue (1090). So pod delete
// events never reach the queue.
package nodelifecycle

import (
	"context"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

type podUpdateItem struct {
	namespace string
	name      string
}

// Controller is the node lifecycle controller.
type Controller struct {
	kubeClient     clientset.Interface
	podLister      corelisters.PodLister
	podUpdateQueue workqueue.RateLimitingInterface
}

// NewNodeLifecycleController registers the pod handlers.
func NewNodeLifecycleController(podInformer coreinformers.PodInformer, kubeClient clientset.Interface) (*Controller, error) {
	nc := &Controller{
		kubeClient:     kubeClient,
		podUpdateQueue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "node_lifecycle_controller_pods"),
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			pod := obj.(*v1.Pod)
			nc.podUpdated(nil, pod)
		},
		UpdateFunc: func(prev, obj interface{}) {
			prevPod := prev.(*v1.Pod)
			newPod := obj.(*v1.Pod)
			nc.podUpdated(prevPod, newPod)
		},
		DeleteFunc: func(obj interface{}) {
			pod, isPod := obj.(*v1.Pod)
			if !isPod {
				deletedState, ok := obj.(cache.DeletedFinalStateUnknown)
				if !ok {
					return
				}
				pod, ok = deletedState.Obj.(*v1.Pod)
				if !ok {
					return
				}
			}
			nc.podUpdated(pod, nil)
		},
	})
	nc.podLister = podInformer.Lister()
	return nc, nil
}

// Run starts the pod worker.
func (nc *Controller) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, nc.doPodProcessingWorker, 0)
	<-ctx.Done()
}

func (nc *Controller) podUpdated(oldPod, newPod *v1.Pod) {
	if newPod == nil {
		return
	}
	if len(newPod.Spec.NodeName) != 0 && (oldPod == nil || newPod.Spec.NodeName != oldPod.Spec.NodeName) {
		podItem := podUpdateItem{newPod.Namespace, newPod.Name}
		nc.podUpdateQueue.Add(podItem)
	}
}

func (nc *Controller) doPodProcessingWorker(ctx context.Context) {
	for {
		obj, shutdown := nc.podUpdateQueue.Get()
		if shutdown {
			return
		}
		podItem := obj.(podUpdateItem)
		nc.processPod(ctx, podItem)
	}
}

func (nc *Controller) processPod(ctx context.Context, podItem podUpdateItem) {
	defer nc.podUpdateQueue.Done(podItem)
	pod, err := nc.podLister.Pods(podItem.namespace).Get(podItem.name)
	if err != nil {
		return
	}
	nc.markPodNotReady(ctx, pod)
}

// markPodNotReady mimics nodeutil.MarkPodsNotReady (pkg/controller/util/node/controller_utils.go:117).
func (nc *Controller) markPodNotReady(ctx context.Context, pod *v1.Pod) {
	pod = pod.DeepCopy()
	for i, cond := range pod.Status.Conditions {
		if cond.Type == v1.PodReady {
			pod.Status.Conditions[i].Status = v1.ConditionFalse
		}
	}
	nc.kubeClient.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
}
