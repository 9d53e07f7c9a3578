// Package statefulset registers one method value for two events and an
// anonymous UpdateFunc (pkg/controller/statefulset/stateful_set.go:111-143).
package statefulset

import (
	"context"
	"fmt"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// StatefulSetController watches StatefulSets and their pods.
type StatefulSetController struct {
	setLister appslisters.StatefulSetLister
	queue     workqueue.RateLimitingInterface
}

// NewStatefulSetController registers the handlers.
func NewStatefulSetController(ctx context.Context, podInformer coreinformers.PodInformer, setInformer appsinformers.StatefulSetInformer) *StatefulSetController {
	logger := klog.FromContext(ctx)
	ssc := &StatefulSetController{
		queue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "statefulset"),
	}

	// func1, func2, func3 only forward.
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			ssc.addPod(logger, obj)
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			ssc.updatePod(logger, oldObj, newObj)
		},
		DeleteFunc: func(obj interface{}) {
			ssc.deletePod(logger, obj)
		},
	})

	setInformer.Informer().AddEventHandler(
		cache.ResourceEventHandlerFuncs{
			AddFunc: ssc.enqueueStatefulSet,
			// func4 logs before it enqueues: it is the handler.
			UpdateFunc: func(old, cur interface{}) {
				oldPS := old.(*apps.StatefulSet)
				curPS := cur.(*apps.StatefulSet)
				if oldPS.Status.Replicas != curPS.Status.Replicas {
					logger.V(4).Info("Observed updated replica count for StatefulSet", "statefulSet", klog.KObj(curPS), "oldReplicas", oldPS.Status.Replicas, "newReplicas", curPS.Status.Replicas)
				}
				ssc.enqueueStatefulSet(cur)
			},
			DeleteFunc: ssc.enqueueStatefulSet,
		},
	)
	ssc.setLister = setInformer.Lister()
	return ssc
}

// enqueueStatefulSet enqueues the given statefulset in the work queue.
func (ssc *StatefulSetController) enqueueStatefulSet(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %+v: %v", obj, err))
		return
	}
	ssc.queue.Add(key)
}

func (ssc *StatefulSetController) setForPod(pod *v1.Pod) *apps.StatefulSet {
	controllerRef := metav1.GetControllerOf(pod)
	if controllerRef == nil || controllerRef.Kind != "StatefulSet" {
		return nil
	}
	set, err := ssc.setLister.StatefulSets(pod.Namespace).Get(controllerRef.Name)
	if err != nil || set.UID != controllerRef.UID {
		return nil
	}
	return set
}

func (ssc *StatefulSetController) addPod(logger klog.Logger, obj interface{}) {
	pod := obj.(*v1.Pod)
	if set := ssc.setForPod(pod); set != nil {
		logger.V(4).Info("Pod created", "pod", klog.KObj(pod))
		ssc.enqueueStatefulSet(set)
	}
}

func (ssc *StatefulSetController) updatePod(logger klog.Logger, old, cur interface{}) {
	curPod := cur.(*v1.Pod)
	oldPod := old.(*v1.Pod)
	if curPod.ResourceVersion == oldPod.ResourceVersion {
		return
	}
	ssc.addPod(logger, curPod)
}

func (ssc *StatefulSetController) deletePod(logger klog.Logger, obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if pod, ok = tombstone.Obj.(*v1.Pod); !ok {
			return
		}
	}
	if set := ssc.setForPod(pod); set != nil {
		ssc.enqueueStatefulSet(set)
	}
}
