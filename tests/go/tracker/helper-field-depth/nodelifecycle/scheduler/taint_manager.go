// Package scheduler mimics pkg/controller/nodelifecycle/scheduler/taint_manager.go (v1.28):
// PodUpdated adds to tc.podUpdateQueue (339); a goroutine in Run gets the item (247-249) and
// sends it to tc.podUpdateChannels[hash] (263); worker receives it in a select (291) and
// handlePodUpdate reads the lister (415) before the eviction deletes the pod and records an event.
package scheduler

import (
	"context"
	"hash/fnv"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// UpdateWorkerSize is the number of pod update workers.
const UpdateWorkerSize = 8

type podUpdateItem struct {
	podName      string
	podNamespace string
	nodeName     string
}

// NoExecuteTaintManager evicts pods from nodes tainted NoExecute.
type NoExecuteTaintManager struct {
	client            clientset.Interface
	recorder          record.EventRecorder
	podLister         corelisters.PodLister
	podUpdateChannels []chan podUpdateItem
	podUpdateQueue    workqueue.Interface
}

// NewNoExecuteTaintManager builds the helper with its own queue.
func NewNoExecuteTaintManager(ctx context.Context, c clientset.Interface, podLister corelisters.PodLister) *NoExecuteTaintManager {
	eventBroadcaster := record.NewBroadcaster()
	tm := &NoExecuteTaintManager{
		client:         c,
		recorder:       eventBroadcaster.NewRecorder(nil, v1.EventSource{Component: "taint-controller"}),
		podLister:      podLister,
		podUpdateQueue: workqueue.NewNamed("noexec_taint_pod"),
	}
	return tm
}

// Run moves queue items to the workers' channels and starts the workers.
func (tc *NoExecuteTaintManager) Run(ctx context.Context) {
	for i := 0; i < UpdateWorkerSize; i++ {
		tc.podUpdateChannels = append(tc.podUpdateChannels, make(chan podUpdateItem, 100))
	}
	go func(stopCh <-chan struct{}) {
		for {
			item, shutdown := tc.podUpdateQueue.Get()
			if shutdown {
				break
			}
			podUpdate := item.(podUpdateItem)
			hash := hash(podUpdate.nodeName, UpdateWorkerSize)
			select {
			case <-stopCh:
				tc.podUpdateQueue.Done(item)
				return
			case tc.podUpdateChannels[hash] <- podUpdate:
			}
		}
	}(ctx.Done())
	for i := 0; i < UpdateWorkerSize; i++ {
		go tc.worker(ctx, i, ctx.Done())
	}
	<-ctx.Done()
}

func hash(val string, max int) int {
	hasher := fnv.New32a()
	hasher.Write([]byte(val))
	return int(hasher.Sum32() % uint32(max))
}

func (tc *NoExecuteTaintManager) worker(ctx context.Context, worker int, stopCh <-chan struct{}) {
	for {
		select {
		case <-stopCh:
			return
		case podUpdate := <-tc.podUpdateChannels[worker]:
			tc.handlePodUpdate(ctx, podUpdate)
			tc.podUpdateQueue.Done(podUpdate)
		}
	}
}

// PodUpdated is how the node lifecycle controller hands a pod to the taint manager.
func (tc *NoExecuteTaintManager) PodUpdated(oldPod *v1.Pod, newPod *v1.Pod) {
	podName := ""
	podNamespace := ""
	nodeName := ""
	if oldPod != nil {
		podName = oldPod.Name
		podNamespace = oldPod.Namespace
		nodeName = oldPod.Spec.NodeName
	}
	if newPod != nil {
		podName = newPod.Name
		podNamespace = newPod.Namespace
		nodeName = newPod.Spec.NodeName
	}
	updateItem := podUpdateItem{
		podName:      podName,
		podNamespace: podNamespace,
		nodeName:     nodeName,
	}
	tc.podUpdateQueue.Add(updateItem)
}

func (tc *NoExecuteTaintManager) handlePodUpdate(ctx context.Context, podUpdate podUpdateItem) {
	pod, err := tc.podLister.Pods(podUpdate.podNamespace).Get(podUpdate.podName)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return
		}
		return
	}
	if pod.Spec.NodeName != podUpdate.nodeName {
		return
	}
	tc.evictPod(ctx, pod.Namespace, pod.Name)
}

func (tc *NoExecuteTaintManager) evictPod(ctx context.Context, ns, name string) error {
	tc.recorder.Eventf(&v1.ObjectReference{Kind: "Pod", Namespace: ns, Name: name}, v1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s", name)
	return tc.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
}
