// Package replicaset registers wrapper literals that forward to methods with
// an extra logger argument (pkg/controller/replicaset/replica_set.go:151-190).
package replicaset

import (
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

const controllerUIDIndex = "controllerUID"

// ReplicaSetController watches ReplicaSets and their pods.
type ReplicaSetController struct {
	rsLister  appslisters.ReplicaSetLister
	rsIndexer cache.Indexer
	queue     workqueue.RateLimitingInterface
}

// NewBaseController registers the handlers.
func NewBaseController(logger klog.Logger, rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer) *ReplicaSetController {
	rsc := &ReplicaSetController{
		queue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "replicaset"),
	}

	// func1, func2, func3: each only forwards to a method.
	rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			rsc.addRS(logger, obj)
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			rsc.updateRS(logger, oldObj, newObj)
		},
		DeleteFunc: func(obj interface{}) {
			rsc.deleteRS(logger, obj)
		},
	})
	// Not an event handler: an index function (func4).
	rsInformer.Informer().AddIndexers(cache.Indexers{
		controllerUIDIndex: func(obj interface{}) ([]string, error) {
			rs, ok := obj.(*apps.ReplicaSet)
			if !ok {
				return []string{}, nil
			}
			controllerRef := metav1.GetControllerOf(rs)
			if controllerRef == nil {
				return []string{}, nil
			}
			return []string{string(controllerRef.UID)}, nil
		},
	})
	rsc.rsIndexer = rsInformer.Informer().GetIndexer()
	rsc.rsLister = rsInformer.Lister()

	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		// func5: forwards.
		AddFunc: func(obj interface{}) {
			rsc.addPod(logger, obj)
		},
		// func6: does the work itself, so it is the handler.
		UpdateFunc: func(oldObj, newObj interface{}) {
			oldPod := oldObj.(*v1.Pod)
			newPod := newObj.(*v1.Pod)
			if oldPod.ResourceVersion == newPod.ResourceVersion {
				return
			}
			logger.V(4).Info("Pod updated", "pod", klog.KObj(newPod))
			rsc.addPod(logger, newPod)
		},
		// func7: forwards.
		DeleteFunc: func(obj interface{}) {
			rsc.deletePod(logger, obj)
		},
	})
	return rsc
}

func (rsc *ReplicaSetController) enqueueRS(rs *apps.ReplicaSet) {
	key, err := cache.MetaNamespaceKeyFunc(rs)
	if err != nil {
		return
	}
	rsc.queue.Add(key)
}

func (rsc *ReplicaSetController) addRS(logger klog.Logger, obj interface{}) {
	rs := obj.(*apps.ReplicaSet)
	logger.V(4).Info("Adding", "replicaSet", klog.KObj(rs))
	rsc.enqueueRS(rs)
}

func (rsc *ReplicaSetController) updateRS(logger klog.Logger, old, cur interface{}) {
	rsc.enqueueRS(cur.(*apps.ReplicaSet))
}

func (rsc *ReplicaSetController) deleteRS(logger klog.Logger, obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	rsc.queue.Add(key)
}

func (rsc *ReplicaSetController) ownerOf(pod *v1.Pod) *apps.ReplicaSet {
	controllerRef := metav1.GetControllerOf(pod)
	if controllerRef == nil || controllerRef.Kind != "ReplicaSet" {
		return nil
	}
	rs, err := rsc.rsLister.ReplicaSets(pod.Namespace).Get(controllerRef.Name)
	if err != nil || rs.UID != controllerRef.UID {
		return nil
	}
	return rs
}

func (rsc *ReplicaSetController) addPod(logger klog.Logger, obj interface{}) {
	if rs := rsc.ownerOf(obj.(*v1.Pod)); rs != nil {
		rsc.enqueueRS(rs)
	}
}

func (rsc *ReplicaSetController) deletePod(logger klog.Logger, obj interface{}) {
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
	if rs := rsc.ownerOf(pod); rs != nil {
		rsc.enqueueRS(rs)
	}
}
